-- Every change to what the stored inventory answers from is announced on the channel `inventory_changed`, from
-- whichever process wrote it (an API replica, a scan shard, the CronJob): readers that keep answers in memory
-- drop them when it fires. Per statement, and PostgreSQL folds a transaction's identical notifications into one
-- delivered at commit, so an account's part costs one notification and a rolled-back write none.
CREATE FUNCTION notify_inventory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('inventory_changed', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_inventory_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION notify_inventory_changed();
CREATE TRIGGER scans_inventory_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON scans
  FOR EACH STATEMENT EXECUTE FUNCTION notify_inventory_changed();
CREATE TRIGGER scan_accounts_inventory_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON scan_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION notify_inventory_changed();
CREATE TRIGGER access_keys_inventory_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON access_keys
  FOR EACH STATEMENT EXECUTE FUNCTION notify_inventory_changed();
CREATE TRIGGER tag_exemptions_inventory_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tag_exemptions
  FOR EACH STATEMENT EXECUTE FUNCTION notify_inventory_changed();
