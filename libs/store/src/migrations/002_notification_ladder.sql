-- The notifier's ladder per key: warning, final, expired, then reminders, each stage's email sent once. A ladder
-- closes when its key is rotated, deleted or deactivated (or restarted by remediation); a later ladder may open for
-- the same key (reactivated), so stages are unique per ladder, not per key forever. Digests sent are recorded so the
-- next one can say what changed since. No foreign key to access_keys: the record outlives the key's history.

CREATE TABLE notification_ladders (
  id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id              text NOT NULL,
  access_key_id           text NOT NULL,
  -- Unknown until the notifier sees the key when another module opened the ladder (restart at final).
  user_name               text,
  key_created_at          timestamptz,
  -- The first stage of this ladder: stages below it are never sent. `final` when remediation restarts it.
  start_stage             text NOT NULL DEFAULT 'warning' CHECK (start_stage IN ('warning', 'final', 'expired')),
  opened_at               timestamptz NOT NULL,
  closed_at               timestamptz,
  resolution              text CHECK (resolution IN ('rotated', 'deleted', 'deactivated', 'restarted')),
  -- The user's newer key, when the resolution is a rotation.
  rotated_to              text,
  -- When an owner (or fallback) email that said so was accepted by SES.
  resolution_reported_at  timestamptz,
  CHECK ((closed_at IS NULL) = (resolution IS NULL))
);
-- At most one open ladder per key.
CREATE UNIQUE INDEX notification_ladders_open_once_idx ON notification_ladders (account_id, access_key_id)
  WHERE closed_at IS NULL;
CREATE INDEX notification_ladders_opened_at_idx ON notification_ladders (opened_at);
CREATE INDEX notification_ladders_closed_at_idx ON notification_ladders (closed_at) WHERE closed_at IS NOT NULL;

-- A stage is unique within its ladder. Rows written before ladders (ladder_id NULL) keep their per-key uniqueness.
ALTER TABLE notifications ADD COLUMN ladder_id bigint REFERENCES notification_ladders (id) ON DELETE CASCADE;
ALTER TABLE notifications DROP CONSTRAINT notifications_account_id_access_key_id_stage_key;
CREATE UNIQUE INDEX notifications_ladder_stage_idx ON notifications (ladder_id, stage) WHERE ladder_id IS NOT NULL;
CREATE UNIQUE INDEX notifications_key_stage_idx ON notifications (account_id, access_key_id, stage)
  WHERE ladder_id IS NULL;
CREATE INDEX notifications_key_idx ON notifications (account_id, access_key_id);

-- One row per recipient SES accepted a digest for; the latest sent_at is "the last digest".
CREATE TABLE notification_digests (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient       text NOT NULL,
  ses_message_id  text NOT NULL,
  sent_at         timestamptz NOT NULL,
  summary         jsonb NOT NULL
);
CREATE INDEX notification_digests_sent_at_idx ON notification_digests (sent_at);
