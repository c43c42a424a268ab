-- Reserved: filled by the change that needs it (kept contiguous so loadMigrations accepts the set).
SELECT 1;
