import { bigint, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

// The typed mirror of migrations/*.sql, which alone create the tables; store.schema e2e spec checks both agree.
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const id = (name: string) => bigint(name, { mode: 'number' });

export const accounts = pgTable('accounts', {
  accountId: text('account_id').primaryKey(),
  name: text('name'),
  firstSeen: ts('first_seen').notNull(),
  lastSeen: ts('last_seen').notNull(),
});

export const scans = pgTable('scans', {
  id: id('id').primaryKey().generatedAlwaysAsIdentity(),
  source: text('source', { enum: ['list-users', 'credential-report'] }).notNull(),
  trigger: text('trigger', { enum: ['schedule', 'on-demand', 'job', 'startup'] }).notNull(),
  status: text('status', { enum: ['running', 'complete', 'partial', 'failed'] })
    .notNull()
    .default('running'),
  startedAt: ts('started_at').notNull(),
  finishedAt: ts('finished_at'),
  /** `all`, or `index/count` for one shard of a sharded scan. */
  shard: text('shard').notNull().default('all'),
});

export const scanAccounts = pgTable(
  'scan_accounts',
  {
    scanId: id('scan_id').notNull(),
    accountId: text('account_id').notNull(),
    status: text('status', { enum: ['pending', 'complete', 'failed', 'skipped'] })
      .notNull()
      .default('pending'),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    keysSeen: integer('keys_seen').notNull().default(0),
    keysAdded: integer('keys_added').notNull().default(0),
    keysChanged: integer('keys_changed').notNull().default(0),
    keysDeleted: integer('keys_deleted').notNull().default(0),
    findingsOpened: integer('findings_opened').notNull().default(0),
    findingsResolved: integer('findings_resolved').notNull().default(0),
    errorCode: text('error_code'),
    durationMs: integer('duration_ms'),
  },
  (t) => [primaryKey({ columns: [t.scanId, t.accountId] })],
);

export const accessKeys = pgTable(
  'access_keys',
  {
    accountId: text('account_id').notNull(),
    accessKeyId: text('access_key_id').notNull(),
    userName: text('user_name').notNull(),
    status: text('status', { enum: ['Active', 'Inactive'] }).notNull(),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at'),
    lastUsedService: text('last_used_service'),
    lastUsedRegion: text('last_used_region'),
    firstSeen: ts('first_seen').notNull(),
    lastSeen: ts('last_seen').notNull(),
    firstSeenScanId: id('first_seen_scan_id'),
    lastSeenScanId: id('last_seen_scan_id'),
    deletedAt: ts('deleted_at'),
    rotatedTo: text('rotated_to'),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.accessKeyId] })],
);

export const accessKeyEvents = pgTable('access_key_events', {
  id: id('id').primaryKey().generatedAlwaysAsIdentity(),
  accountId: text('account_id').notNull(),
  accessKeyId: text('access_key_id').notNull(),
  scanId: id('scan_id'),
  kind: text('kind', { enum: ['first_seen', 'status_changed', 'deleted', 'reappeared'] }).notNull(),
  oldStatus: text('old_status'),
  newStatus: text('new_status'),
  at: ts('at').notNull(),
});

export const findings = pgTable('findings', {
  id: id('id').primaryKey().generatedAlwaysAsIdentity(),
  accountId: text('account_id').notNull(),
  accessKeyId: text('access_key_id').notNull(),
  userName: text('user_name').notNull(),
  code: text('code', { enum: ['old', 'unused', 'never_used', 'two_active'] }).notNull(),
  firstSeen: ts('first_seen').notNull(),
  lastSeen: ts('last_seen').notNull(),
  firstSeenScanId: id('first_seen_scan_id'),
  resolvedAt: ts('resolved_at'),
  resolvedScanId: id('resolved_scan_id'),
});

export const notifications = pgTable('notifications', {
  id: id('id').primaryKey().generatedAlwaysAsIdentity(),
  accountId: text('account_id').notNull(),
  accessKeyId: text('access_key_id').notNull(),
  stage: text('stage').notNull(),
  recipient: text('recipient').notNull(),
  sesMessageId: text('ses_message_id').notNull(),
  sentAt: ts('sent_at').notNull(),
  /** The ladder the stage belongs to (002); NULL for rows recorded without one. */
  ladderId: id('ladder_id'),
});

export const notificationLadders = pgTable('notification_ladders', {
  id: id('id').primaryKey().generatedAlwaysAsIdentity(),
  accountId: text('account_id').notNull(),
  accessKeyId: text('access_key_id').notNull(),
  userName: text('user_name'),
  keyCreatedAt: ts('key_created_at'),
  startStage: text('start_stage', { enum: ['warning', 'final', 'expired'] })
    .notNull()
    .default('warning'),
  openedAt: ts('opened_at').notNull(),
  closedAt: ts('closed_at'),
  resolution: text('resolution', { enum: ['rotated', 'deleted', 'deactivated', 'restarted'] }),
  rotatedTo: text('rotated_to'),
  resolutionReportedAt: ts('resolution_reported_at'),
});

export const notificationDigests = pgTable('notification_digests', {
  id: id('id').primaryKey().generatedAlwaysAsIdentity(),
  recipient: text('recipient').notNull(),
  sesMessageId: text('ses_message_id').notNull(),
  sentAt: ts('sent_at').notNull(),
  summary: jsonb('summary').notNull(),
});

export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

export const tagExemptions = pgTable(
  'tag_exemptions',
  {
    accountId: text('account_id').notNull(),
    userName: text('user_name').notNull(),
    exemption: jsonb('exemption').notNull(),
    scanId: id('scan_id'),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.userName] })],
);

export const remediationRuns = pgTable('remediation_runs', {
  id: id('id').primaryKey().generatedAlwaysAsIdentity(),
  mode: text('mode', { enum: ['dry-run', 'enforce'] }).notNull(),
  status: text('status', { enum: ['running', 'complete', 'refused', 'stopped', 'failed'] })
    .notNull()
    .default('running'),
  startedAt: ts('started_at').notNull(),
  finishedAt: ts('finished_at'),
  summary: jsonb('summary'),
});

export const remediationDecisions = pgTable('remediation_decisions', {
  id: id('id').primaryKey().generatedAlwaysAsIdentity(),
  runId: id('run_id').notNull(),
  accountId: text('account_id').notNull(),
  userName: text('user_name'),
  accessKeyId: text('access_key_id').notNull(),
  ladderId: id('ladder_id'),
  outcome: text('outcome', {
    enum: [
      'deactivated',
      'would-deactivate',
      'deleted',
      'would-delete',
      'spared',
      'refused',
      'reactivated',
      'notified',
      'failed',
    ],
  }).notNull(),
  reason: text('reason').notNull(),
  mode: text('mode', { enum: ['dry-run', 'enforce'] }).notNull(),
  decidedAt: ts('decided_at').notNull(),
  detail: jsonb('detail'),
});

export const storeSchema = {
  accounts,
  scans,
  scanAccounts,
  accessKeys,
  accessKeyEvents,
  findings,
  notifications,
  notificationLadders,
  notificationDigests,
  leases,
  tagExemptions,
  remediationRuns,
  remediationDecisions,
};
