-- The store's first schema: accounts, scans and their per-account parts, access keys with their history,
-- findings per key, and the notifications sent. Times are timestamptz; ids of scans are generated here.

CREATE TABLE accounts (
  account_id  text PRIMARY KEY CHECK (account_id ~ '^[0-9]{12}$'),
  name        text,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL
);

CREATE TABLE scans (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source       text NOT NULL CHECK (source IN ('list-users', 'credential-report')),
  trigger      text NOT NULL CHECK (trigger IN ('schedule', 'on-demand', 'job', 'startup')),
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'partial', 'failed')),
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX scans_started_at_idx ON scans (started_at);
CREATE INDEX scans_running_idx ON scans (started_at) WHERE status = 'running';

-- One account's part of a scan. Its row turns 'complete' in the same transaction that writes the account's keys
-- and findings, so a reader sees all of an account's results or none.
CREATE TABLE scan_accounts (
  scan_id            bigint NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  account_id         text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'complete', 'failed')),
  started_at         timestamptz,
  finished_at        timestamptz,
  keys_seen          integer NOT NULL DEFAULT 0,
  keys_added         integer NOT NULL DEFAULT 0,
  keys_changed       integer NOT NULL DEFAULT 0,
  keys_deleted       integer NOT NULL DEFAULT 0,
  findings_opened    integer NOT NULL DEFAULT 0,
  findings_resolved  integer NOT NULL DEFAULT 0,
  error_code         text,
  PRIMARY KEY (scan_id, account_id)
);
-- The latest complete inventory per account.
CREATE INDEX scan_accounts_latest_complete_idx ON scan_accounts (account_id, finished_at DESC) WHERE status = 'complete';

-- Keys are keyed by account too: the root user's keys have no id in the credential report, only a slot.
CREATE TABLE access_keys (
  account_id          text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  access_key_id       text NOT NULL,
  user_name           text NOT NULL,
  status              text NOT NULL CHECK (status IN ('Active', 'Inactive')),
  created_at          timestamptz NOT NULL,
  last_used_at        timestamptz,
  last_used_service   text,
  last_used_region    text,
  first_seen          timestamptz NOT NULL,
  last_seen           timestamptz NOT NULL,
  first_seen_scan_id  bigint REFERENCES scans (id) ON DELETE SET NULL,
  last_seen_scan_id   bigint REFERENCES scans (id) ON DELETE SET NULL,
  -- When a scan first found it gone, and the user's newer key that replaced it (a rotation), if any.
  deleted_at          timestamptz,
  rotated_to          text,
  PRIMARY KEY (account_id, access_key_id)
);
CREATE INDEX access_keys_live_idx ON access_keys (account_id, user_name) WHERE deleted_at IS NULL;
CREATE INDEX access_keys_deleted_at_idx ON access_keys (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE access_key_events (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id     text NOT NULL,
  access_key_id  text NOT NULL,
  scan_id        bigint REFERENCES scans (id) ON DELETE SET NULL,
  kind           text NOT NULL CHECK (kind IN ('first_seen', 'status_changed', 'deleted', 'reappeared')),
  old_status     text,
  new_status     text,
  at             timestamptz NOT NULL,
  FOREIGN KEY (account_id, access_key_id) REFERENCES access_keys (account_id, access_key_id) ON DELETE CASCADE
);
CREATE INDEX access_key_events_key_idx ON access_key_events (account_id, access_key_id, at);
CREATE INDEX access_key_events_at_idx ON access_key_events (at);

CREATE TABLE findings (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id          text NOT NULL,
  access_key_id       text NOT NULL,
  user_name           text NOT NULL,
  code                text NOT NULL CHECK (code IN ('old', 'unused', 'never_used', 'two_active')),
  first_seen          timestamptz NOT NULL,
  last_seen           timestamptz NOT NULL,
  first_seen_scan_id  bigint REFERENCES scans (id) ON DELETE SET NULL,
  resolved_at         timestamptz,
  resolved_scan_id    bigint REFERENCES scans (id) ON DELETE SET NULL,
  FOREIGN KEY (account_id, access_key_id) REFERENCES access_keys (account_id, access_key_id) ON DELETE CASCADE
);
-- A key has at most one open finding of each code; a resolved one may open again later as a new row.
CREATE UNIQUE INDEX findings_open_once_idx ON findings (account_id, access_key_id, code) WHERE resolved_at IS NULL;
CREATE INDEX findings_resolved_at_idx ON findings (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX findings_first_seen_idx ON findings (first_seen);

-- No foreign key to access_keys: what was sent stays on record while the key's history is purged.
CREATE TABLE notifications (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id      text NOT NULL,
  access_key_id   text NOT NULL,
  stage           text NOT NULL CHECK (stage ~ '^(warning|final|expired|reminder-[1-9][0-9]*)$'),
  recipient       text NOT NULL,
  ses_message_id  text NOT NULL,
  sent_at         timestamptz NOT NULL,
  UNIQUE (account_id, access_key_id, stage)
);
CREATE INDEX notifications_sent_at_idx ON notifications (sent_at);
