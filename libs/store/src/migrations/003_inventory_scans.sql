-- Scans on a schedule and in shards: which shard a scan covers (so a restarted runner abandons only its own
-- unfinished scans), the scheduler's lease (one replica schedules), and the tag exemptions a scan read, so the
-- inventory is answered from the store without calling IAM.

ALTER TABLE scans ADD COLUMN shard text NOT NULL DEFAULT 'all' CHECK (shard ~ '^(all|[0-9]+/[0-9]+)$');
CREATE INDEX scans_shard_started_idx ON scans (shard, started_at DESC);

CREATE TABLE leases (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  expires_at  timestamptz NOT NULL
);

-- A user's tag exemption as the latest complete scan of its account read it; replaced with the account's part.
CREATE TABLE tag_exemptions (
  account_id  text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  user_name   text NOT NULL,
  exemption   jsonb NOT NULL,
  scan_id     bigint REFERENCES scans (id) ON DELETE SET NULL,
  PRIMARY KEY (account_id, user_name)
);

-- An account the organization lists but that cannot be scanned (SUSPENDED...) is part of the scan as 'skipped',
-- its reason in error_code, so the stored inventory names it as a live answer does.
ALTER TABLE scan_accounts DROP CONSTRAINT scan_accounts_status_check;
ALTER TABLE scan_accounts ADD CONSTRAINT scan_accounts_status_check
  CHECK (status IN ('pending', 'complete', 'failed', 'skipped'));
