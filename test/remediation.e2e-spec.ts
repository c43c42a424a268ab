import { DAY_MS, HOUR_MS, RemediationHarness, SECURITY } from './support/remediation-harness';

const NOW = new Date('2026-11-24T10:00:00.000Z'); // a Tuesday
const KEY = 'AKIAREMEDIATEME00001';
const OTHER = 'AKIAREMEDIATEME00002';
const THIRD = 'AKIAREMEDIATEME00003';

describe('Remediation (e2e: IAM + SES emulator, embedded store, a clock the test moves)', () => {
  let h: RemediationHarness;

  beforeEach(() => {
    h = new RemediationHarness(new Date(NOW));
  });

  afterEach(() => h.stop());

  describe('enforce', () => {
    it('deactivates a key past expiry GRACE days after its final warning, tells owner and security team, and a rerun acts on nothing twice', async () => {
      await h.start({ REMEDIATION_GRACE_DAYS: '7' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 8, expiredDaysAgo: 6 }, { lastUsedHoursAgo: 500 });

      const first = await h.run();

      expect(h.status(KEY)).toBe('Inactive');
      expect(h.writes()).toEqual({ UpdateAccessKey: 1, DeleteAccessKey: 0 });
      expect(await h.decisions(first.runId)).toEqual([
        { accessKeyId: KEY, outcome: 'deactivated', reason: 'expired-past-grace' },
      ]);
      expect(first).toMatchObject({ status: 'complete', outcomes: { deactivated: 1 }, emailsSent: 2 });
      const [owner, digest] = h.emails();
      expect(owner.to).toEqual(['alice@example.com']);
      expect(owner.subject).toBe(`Deactivated: access key ${KEY}`);
      expect(owner.text).toContain(`was deactivated at 2026-11-24 10:00 UTC by iam-key-monitor`);
      expect(owner.text).toContain('To rotate:');
      expect(owner.text).toContain('To ask for an exemption:');
      expect(digest.to).toEqual([SECURITY]);
      expect(digest.text).toContain(`- Deactivated (expired-past-grace): 111111111111 alice ${KEY}`);

      h.now = new Date(NOW.getTime() + DAY_MS);
      const second = await h.run();

      expect(h.writes()).toEqual({ UpdateAccessKey: 1, DeleteAccessKey: 0 });
      expect(await h.decisions(second.runId)).toEqual([]);
      expect(h.emails()).toHaveLength(2);
    });

    it('without the grace period over: spares the key, tells the owner the date once, and acts once it is over', async () => {
      await h.start({ REMEDIATION_GRACE_DAYS: '7' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 3, expiredDaysAgo: 1 });

      const first = await h.run();
      await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(await h.decisions(first.runId)).toEqual([
        { accessKeyId: KEY, outcome: 'spared', reason: 'in-grace-period' },
        { accessKeyId: KEY, outcome: 'notified', reason: 'before-deactivation' },
      ]);
      const before = h.emails().filter((e) => e.to.includes('alice@example.com'));
      expect(before.map((e) => e.subject)).toEqual([`Will be deactivated on 2026-11-28: access key ${KEY}`]);
      expect(before[0].text).toContain('will be deactivated on 2026-11-28 unless rotated or exempted');

      h.now = new Date(NOW.getTime() + 4 * DAY_MS);
      await h.run();
      expect(h.status(KEY)).toBe('Inactive');
    });

    it('never acts without a delivered final warning', async () => {
      await h.start({ REMEDIATION_GRACE_DAYS: '0' });
      await h.expiredKey('alice', KEY, { expiredDaysAgo: 30 });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(h.writes().UpdateAccessKey).toBe(0);
      expect(summary.spared).toEqual({ 'final-warning-not-delivered': 1 });
    });

    it('spares an exempted key', async () => {
      await h.start(
        {},
        [
          'exemptions:',
          '  - match: { user_name: alice }',
          '    findings: [old]',
          '    reason: Vendor appliance, replacement ordered',
          `    expires_at: ${new Date(NOW.getTime() + 5 * DAY_MS).toISOString()}`,
          '',
        ].join('\n'),
      );
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(h.status(OTHER)).toBe('Inactive');
      expect(summary.spared).toEqual({ exempted: 1 });
    });

    it('spares a key whose user carries exemption tags, read live', async () => {
      await h.start({});
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      h.account.tagUser('alice', {
        'iam-key-monitor:exempt-until': new Date(NOW.getTime() + 10 * DAY_MS).toISOString().slice(0, 10),
        'iam-key-monitor:exempt-reason': 'Vendor appliance',
      });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(h.status(OTHER)).toBe('Inactive');
      expect(summary.spared).toEqual({ exempted: 1 });
    });

    it('spares a key used within REMEDIATION_SPARE_USED_WITHIN_HOURS, read again right before acting', async () => {
      await h.start({ REMEDIATION_SPARE_USED_WITHIN_HOURS: '24' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 }, { lastUsedHoursAgo: 23 });
      await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 }, { lastUsedHoursAgo: 25 });
      await h.expiredKey('carol', THIRD, { finalDaysAgo: 30, expiredDaysAgo: 28 }, { lastUsedHoursAgo: 25 });

      const plan = await h.plan();
      h.account.setAccessKeyLastUsed(THIRD, { date: h.ago(HOUR_MS), serviceName: 'sts', region: 'us-east-1' });
      const summary = await h.job.execute(plan!);

      expect(h.status(KEY)).toBe('Active');
      expect(h.status(OTHER)).toBe('Inactive');
      expect(h.status(THIRD)).toBe('Active');
      expect(summary.spared).toEqual({ 'used-recently': 2 });
    });

    it('never touches a key rotated between the decision and the action (the live ListAccessKeys re-check)', async () => {
      await h.start({});
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const plan = await h.plan();
      expect(plan?.actions.map((a) => a.accessKeyId)).toEqual([KEY, OTHER]);
      const fresh = h.account.rotateAccessKey(KEY);
      h.account.setAccessKeyStatus(OTHER, 'Inactive');
      const summary = await h.job.execute(plan!);

      expect(h.writes().UpdateAccessKey).toBe(0);
      expect(h.status(fresh.accessKeyId)).toBe('Active');
      expect(summary.spared).toEqual({ 'key-gone': 1, 'not-active': 1 });
    });

    it('over REMEDIATION_MAX_PER_RUN: does nothing at all and tells the security team', async () => {
      await h.start({ REMEDIATION_MAX_PER_RUN: '1' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const summary = await h.run();

      expect(h.writes().UpdateAccessKey).toBe(0);
      expect(summary).toMatchObject({ status: 'refused', refused: { 'over-max-per-run': 2 } });
      expect(h.emails().map((e) => [e.to, e.subject])).toEqual([
        [[SECURITY], 'Remediation run 1 refused: 2 actions wanted, more than REMEDIATION_MAX_PER_RUN=1'],
      ]);
    });

    it('outside REMEDIATION_WINDOW: nothing, recorded', async () => {
      await h.start({ REMEDIATION_WINDOW: 'Mon-Thu 11-16' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(h.writes().UpdateAccessKey).toBe(0);
      expect(await h.decisions(summary.runId)).toEqual([
        { accessKeyId: KEY, outcome: 'refused', reason: 'outside-window' },
      ]);
    });

    it('an account not in REMEDIATION_ACCOUNTS (empty means none): nothing, recorded, not even a read', async () => {
      await h.start({ REMEDIATION_ACCOUNTS: '' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(h.emulator.counters.totalIamRequests).toBe(0);
      expect(summary.refused).toEqual({ 'account-not-allowed': 1 });
    });

    it('the kill switch stops the run between two actions', async () => {
      // Asked when the run starts, then before each action: engaged at the second action.
      let checks = 0;
      h.killSwitch = { check: () => (++checks > 2 ? { reason: '' } : null) };
      await h.start({});
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Inactive');
      expect(h.status(OTHER)).toBe('Active');
      expect(summary).toMatchObject({ status: 'stopped', outcomes: { deactivated: 1, refused: 1 } });
      expect(summary.refused).toEqual({ 'kill-switch': 1 });
    });

    it('records a refused write as failed and goes on', async () => {
      await h.start({});
      h.emulator.faults.accessDenied.add('UpdateAccessKey');
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(await h.decisions(summary.runId)).toEqual([
        { accessKeyId: KEY, outcome: 'failed', reason: 'deactivate-failed' },
      ]);
    });
  });

  describe('one run at a time', () => {
    it('a second run while one holds the lease does nothing; the next one after it acts on nothing twice', async () => {
      await h.start({});
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const [a, b] = await Promise.all([h.run(), h.run()]);
      const after = await h.run();

      expect([a.status, b.status].sort()).toEqual(['busy', 'complete']);
      expect(after.status).toBe('complete');
      expect(h.writes().UpdateAccessKey).toBe(1);
    });
  });

  describe('failures', () => {
    it('a read IAM refuses (the exemption tags) is recorded as failed per key, and nothing is done to it', async () => {
      await h.start({});
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      h.emulator.faults.accessDenied.add('ListUserTags');

      const summary = await h.run();

      expect(h.writes().UpdateAccessKey).toBe(0);
      expect(summary.outcomes).toEqual({ failed: 2 });
      expect((await h.decisions(summary.runId)).map((d) => d.reason)).toEqual(['check-failed', 'check-failed']);
    });
  });

  describe('dry-run', () => {
    it('decides, records and reports what it would do, and sends no write to IAM', async () => {
      await h.start({ REMEDIATION_MODE: 'dry-run' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(h.writes()).toEqual({ UpdateAccessKey: 0, DeleteAccessKey: 0 });
      expect(summary.outcomes).toEqual({ 'would-deactivate': 1 });
      expect(h.emails().map((e) => e.subject)).toEqual([
        `Would have been deactivated: access key ${KEY}`,
        'Remediation run 1 (dry-run): 1 action(s), 1 decision(s)',
      ]);
    });
  });

  describe('after deactivation', () => {
    it('a key a person reactivated is left alone by that ladder, reported once, and its ladder restarts at final', async () => {
      await h.start({ REMEDIATION_GRACE_DAYS: '7' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.run();
      h.account.setAccessKeyStatus(KEY, 'Active');

      h.now = new Date(NOW.getTime() + DAY_MS);
      const second = await h.run();
      h.now = new Date(NOW.getTime() + 2 * DAY_MS);
      const third = await h.run();

      expect(h.status(KEY)).toBe('Active');
      expect(h.writes().UpdateAccessKey).toBe(1);
      expect(await h.decisions(second.runId)).toEqual([
        { accessKeyId: KEY, outcome: 'reactivated', reason: 'reactivated-after-deactivation' },
      ]);
      expect(await h.decisions(third.runId)).toEqual([]);
      expect(h.emails().at(-1)?.text).toContain('Reactivated after deactivation');
      const ladders = await h.ladders.laddersOf('111111111111', KEY);
      expect(ladders.map((l) => [l.startStage, l.resolution])).toEqual([
        ['warning', 'restarted'],
        ['final', null],
      ]);

      // The restarted ladder warns afresh (final, then expired); only after its grace may a run act again.
      const restarted = ladders[1].id;
      await h.sendStages(restarted, KEY, 'alice@example.com', { finalDaysAgo: 0, expiredDaysAgo: 0 });
      h.now = new Date(NOW.getTime() + 8 * DAY_MS);
      await h.run();
      expect(h.status(KEY)).toBe('Active');
      h.now = new Date(NOW.getTime() + 10 * DAY_MS);
      await h.run();
      expect(h.status(KEY)).toBe('Inactive');
      expect(h.writes().UpdateAccessKey).toBe(2);
    });

    it('acts on keys warned before ladders existed (legacy notification rows) the same way', async () => {
      await h.start({});
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28, legacy: true });
      await h.expiredKey('bob', OTHER, { expiredDaysAgo: 28, legacy: true });

      const summary = await h.run();

      expect(h.status(KEY)).toBe('Inactive');
      expect(h.status(OTHER)).toBe('Active');
      expect(summary.spared).toEqual({ 'final-warning-not-delivered': 1 });
    });

    it('deletes only keys this service deactivated, still Inactive, after REMEDIATION_DELETE_AFTER_DAYS', async () => {
      await h.start({ REMEDIATION_DELETE_AFTER_DAYS: '30' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      // Deactivated by hand (during an investigation, say): never ours to delete.
      await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 }, { status: 'Inactive' });
      await h.run();

      h.now = new Date(NOW.getTime() + 29 * DAY_MS);
      await h.run();
      expect(h.writes().DeleteAccessKey).toBe(0);

      h.now = new Date(NOW.getTime() + 30 * DAY_MS);
      const due = await h.run();

      expect(h.status(KEY)).toBeUndefined();
      expect(h.status(OTHER)).toBe('Inactive');
      expect(h.writes()).toEqual({ UpdateAccessKey: 1, DeleteAccessKey: 1 });
      expect(await h.decisions(due.runId)).toEqual([
        { accessKeyId: OTHER, outcome: 'spared', reason: 'not-active' },
        { accessKeyId: KEY, outcome: 'deleted', reason: 'inactive-since-deactivation' },
      ]);
    });

    it('never deletes without REMEDIATION_DELETE_AFTER_DAYS, nor a key reactivated after deactivation', async () => {
      await h.start({ REMEDIATION_DELETE_AFTER_DAYS: '1' });
      await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.run();
      h.account.setAccessKeyStatus(KEY, 'Active');
      h.now = new Date(NOW.getTime() + DAY_MS);
      await h.run();
      h.account.setAccessKeyStatus(KEY, 'Inactive');
      h.now = new Date(NOW.getTime() + 10 * DAY_MS);
      await h.run();

      expect(h.status(KEY)).toBe('Inactive');
      expect(h.writes().DeleteAccessKey).toBe(0);
    });
  });
});
