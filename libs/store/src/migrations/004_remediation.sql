-- Remediation: every run of the job and every decision it took about a key (acted, spared and why, what it would
-- have done in dry-run, what a limit refused), so that what was done, and what was not, can be shown and audited.
-- Decisions are also the job's memory: which keys this service deactivated, which a person reactivated since.
-- No foreign key to access_keys: the record stays when the key's history is purged.

CREATE TABLE remediation_runs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mode         text NOT NULL CHECK (mode IN ('dry-run', 'enforce')),
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'refused', 'stopped', 'failed')),
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  summary      jsonb,
  CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX remediation_runs_started_at_idx ON remediation_runs (started_at);

CREATE TABLE remediation_decisions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id         bigint NOT NULL REFERENCES remediation_runs (id) ON DELETE CASCADE,
  account_id     text NOT NULL,
  user_name      text,
  access_key_id  text NOT NULL,
  -- The notifier's ladder the decision was taken on (NULL for keys warned before ladders): a key a person reactivated
  -- after we deactivated it is never deactivated again by the same ladder, only by the one remediation restarts.
  ladder_id      bigint REFERENCES notification_ladders (id) ON DELETE SET NULL,
  outcome        text NOT NULL CHECK (outcome IN ('deactivated', 'would-deactivate', 'deleted', 'would-delete',
                   'spared', 'refused', 'reactivated', 'notified', 'failed')),
  reason         text NOT NULL,
  mode           text NOT NULL CHECK (mode IN ('dry-run', 'enforce')),
  decided_at     timestamptz NOT NULL,
  detail         jsonb
);
CREATE INDEX remediation_decisions_key_idx ON remediation_decisions (account_id, access_key_id, decided_at);
CREATE INDEX remediation_decisions_decided_at_idx ON remediation_decisions (decided_at);
CREATE INDEX remediation_decisions_run_idx ON remediation_decisions (run_id);
