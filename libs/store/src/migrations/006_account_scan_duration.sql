-- Each account's own scan time (its IAM reads, without the wait for an account slot), kept with its complete part so
-- a new process (a restarted API, each shard of the scan Job) gives the account slots to the largest accounts first.
ALTER TABLE scan_accounts ADD COLUMN duration_ms integer CHECK (duration_ms >= 0);
