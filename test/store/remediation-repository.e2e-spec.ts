import { LadderRepository, NotificationsRepository, RemediationRepository, type StoreEngine } from '@app/store';
import { describeStore } from './support/store-fixture';

const ACCOUNT = '111111111111';
const at = (iso: string) => new Date(iso);

describeStore('remediation repository', (fx) => {
  let engine: StoreEngine;
  let sut: RemediationRepository;
  let notifications: NotificationsRepository;
  let ladders: LadderRepository;

  beforeAll(async () => {
    engine = await fx.openMigrated();
    sut = new RemediationRepository(engine);
    notifications = new NotificationsRepository(engine);
    ladders = new LadderRepository(engine);
  });

  it('lists legacy keys (rows without a ladder) whose expired notice was sent, with their final warning', async () => {
    const sent = (accessKeyId: string, stage: string, sentAt: string, recipient = 'owner@example.com') =>
      notifications.record({
        accountId: ACCOUNT,
        accessKeyId,
        stage,
        recipient,
        sesMessageId: `m-${accessKeyId}-${stage}`,
        sentAt: at(sentAt),
      });
    await sent('AKIAWITHFINAL0000001', 'final', '2026-01-01T00:00:00Z', 'alice@example.com');
    await sent('AKIAWITHFINAL0000001', 'expired', '2026-01-03T00:00:00Z', 'other@example.com');
    await sent('AKIANOFINAL000000002', 'expired', '2026-01-04T00:00:00Z', 'fallback@example.com');
    await sent('AKIAONLYFINAL0000003', 'final', '2026-01-04T00:00:00Z');

    await expect(sut.expiredCandidates()).resolves.toEqual([
      {
        accountId: ACCOUNT,
        accessKeyId: 'AKIAWITHFINAL0000001',
        ladderId: null,
        expiredSentAt: at('2026-01-03T00:00:00Z'),
        finalSentAt: at('2026-01-01T00:00:00Z'),
        recipient: 'alice@example.com',
        userName: null,
        createdAt: null,
      },
      {
        accountId: ACCOUNT,
        accessKeyId: 'AKIANOFINAL000000002',
        ladderId: null,
        expiredSentAt: at('2026-01-04T00:00:00Z'),
        finalSentAt: null,
        recipient: 'fallback@example.com',
        userName: null,
        createdAt: null,
      },
    ]);
  });

  it('lists open ladders that reached expired (not closed ones, not legacy rows of a key that has a ladder)', async () => {
    const opening = (accessKeyId: string) => ({
      accountId: ACCOUNT,
      accessKeyId,
      userName: 'carol',
      keyCreatedAt: at('2025-06-01T00:00:00Z'),
      openedAt: at('2026-03-01T00:00:00Z'),
    });
    const [open, closed] = await ladders.open([opening('AKIALADDEROPEN000001'), opening('AKIALADDERCLOSED0001')]);
    const stage = (ladderId: number, accessKeyId: string, name: string, sentAt: string) =>
      ladders.recordStage({
        ladderId,
        accountId: ACCOUNT,
        accessKeyId,
        stage: name,
        recipient: 'carol@example.com',
        sesMessageId: `m-${ladderId}-${name}`,
        sentAt: at(sentAt),
      });
    await stage(open.id, open.accessKeyId, 'final', '2026-03-10T00:00:00Z');
    await stage(open.id, open.accessKeyId, 'expired', '2026-03-12T00:00:00Z');
    await stage(closed.id, closed.accessKeyId, 'expired', '2026-03-12T00:00:00Z');
    await ladders.close([{ ladderId: closed.id, resolution: 'rotated', closedAt: at('2026-03-13T00:00:00Z') }]);
    // A legacy row of a key that now has a ladder is the ladder's business, not a candidate of its own.
    await notifications.record({
      accountId: ACCOUNT,
      accessKeyId: open.accessKeyId,
      stage: 'expired',
      recipient: 'x@example.com',
      sesMessageId: 'legacy',
      sentAt: at('2026-01-01T00:00:00Z'),
    });

    const found = (await sut.expiredCandidates()).filter((c) => c.accessKeyId.startsWith('AKIALADDER'));

    expect(found).toEqual([
      {
        accountId: ACCOUNT,
        accessKeyId: 'AKIALADDEROPEN000001',
        ladderId: open.id,
        expiredSentAt: at('2026-03-12T00:00:00Z'),
        finalSentAt: at('2026-03-10T00:00:00Z'),
        recipient: 'carol@example.com',
        userName: 'carol',
        createdAt: at('2025-06-01T00:00:00Z'),
      },
    ]);
  });

  it('records decisions per run, remembers what enforce runs did per key, and lists them filtered and paged', async () => {
    const dry = await sut.startRun('dry-run', at('2026-02-01T10:00:00Z'));
    const run = await sut.startRun('enforce', at('2026-02-02T10:00:00Z'));
    const base = { accountId: ACCOUNT, userName: 'alice', accessKeyId: 'AKIAWITHFINAL0000001' } as const;
    await sut.record([
      {
        ...base,
        runId: dry,
        outcome: 'would-deactivate',
        reason: 'expired-past-grace',
        mode: 'dry-run',
        decidedAt: at('2026-02-01T10:00:01Z'),
      },
    ]);
    await sut.record([
      {
        ...base,
        runId: run,
        outcome: 'deactivated',
        reason: 'expired-past-grace',
        mode: 'enforce',
        decidedAt: at('2026-02-02T10:00:01Z'),
        detail: { createdAt: '2025-01-01T00:00:00.000Z' },
      },
      {
        ...base,
        accessKeyId: 'AKIANOFINAL000000002',
        userName: 'bob',
        runId: run,
        outcome: 'spared',
        reason: 'final-warning-not-delivered',
        mode: 'enforce',
        decidedAt: at('2026-02-02T10:00:02Z'),
      },
    ]);
    await sut.finishRun(run, 'complete', at('2026-02-02T10:01:00Z'), { deactivated: 1 });

    await expect(sut.remediatedKeys()).resolves.toEqual([
      {
        accountId: ACCOUNT,
        accessKeyId: 'AKIAWITHFINAL0000001',
        userName: 'alice',
        deactivatedAt: at('2026-02-02T10:00:01Z'),
        deactivatedLadderId: null,
        reactivatedAt: null,
        deletedAt: null,
        noticeLadders: [],
      },
    ]);
    const all = await sut.list({ limit: 10 });
    expect(all.map((d) => d.outcome)).toEqual(['spared', 'deactivated', 'would-deactivate']);
    expect(all[1].detail).toEqual({ createdAt: '2025-01-01T00:00:00.000Z' });
    const page2 = await sut.list({ limit: 2, beforeId: all[1].id + 1 });
    expect(page2.map((d) => d.id)).toEqual([all[1].id, all[2].id]);
    await expect(sut.list({ limit: 10, userName: 'bob' })).resolves.toHaveLength(1);
    await expect(sut.list({ limit: 10, outcome: 'deactivated', accountId: ACCOUNT })).resolves.toHaveLength(1);
    await expect(
      sut.list({ limit: 10, since: at('2026-02-02T00:00:00Z'), until: at('2026-02-02T10:00:02Z') }),
    ).resolves.toHaveLength(1);
    await expect(sut.decisionsOfRun(dry)).resolves.toHaveLength(1);
  });
  it('gives the metrics: the latest finished run of each mode (a running one is not), decisions counted by run or since an instant', async () => {
    const finished = async (mode: 'dry-run' | 'enforce', startedAt: string, status: 'complete' | 'stopped') => {
      const id = await sut.startRun(mode, at(startedAt));
      await sut.finishRun(id, status, at(startedAt.replace(':00Z', ':30Z')), {});
      return id;
    };
    const decide = (
      runId: number,
      mode: 'dry-run' | 'enforce',
      decidedAt: string,
      outcome: 'spared' | 'deactivated' | 'would-deactivate',
      reason: string,
    ) => ({
      runId,
      mode,
      accountId: ACCOUNT,
      userName: 'alice',
      accessKeyId: 'AKIAMETRICS000000001',
      outcome,
      reason,
      decidedAt: at(decidedAt),
    });
    const olderDry = await finished('dry-run', '2026-06-01T10:00:00Z', 'complete');
    const dry = await finished('dry-run', '2026-06-02T10:00:00Z', 'stopped');
    const enforce = await finished('enforce', '2026-06-02T11:00:00Z', 'complete');
    const running = await sut.startRun('enforce', at('2026-06-03T10:00:00Z'));
    await sut.record([
      decide(olderDry, 'dry-run', '2026-06-01T10:00:10Z', 'would-deactivate', 'expired-past-grace'),
      decide(dry, 'dry-run', '2026-06-02T10:00:10Z', 'spared', 'used-recently'),
      decide(dry, 'dry-run', '2026-06-02T10:00:11Z', 'spared', 'used-recently'),
      decide(enforce, 'enforce', '2026-06-02T11:00:10Z', 'deactivated', 'expired-past-grace'),
      decide(enforce, 'enforce', '2026-06-02T11:00:11Z', 'spared', 'in-grace-period'),
      decide(running, 'enforce', '2026-06-03T10:00:10Z', 'deactivated', 'expired-past-grace'),
    ]);

    const snapshot = await sut.metricsSnapshot(at('2026-06-02T10:30:00Z'));

    expect(snapshot.latestRuns).toEqual([
      {
        runId: dry,
        mode: 'dry-run',
        status: 'stopped',
        startedAt: at('2026-06-02T10:00:00Z'),
        finishedAt: at('2026-06-02T10:00:30Z'),
      },
      {
        runId: enforce,
        mode: 'enforce',
        status: 'complete',
        startedAt: at('2026-06-02T11:00:00Z'),
        finishedAt: at('2026-06-02T11:00:30Z'),
      },
    ]);
    expect(snapshot.latestRunDecisions).toEqual([
      { mode: 'dry-run', outcome: 'spared', reason: 'used-recently', count: 2 },
      { mode: 'enforce', outcome: 'deactivated', reason: 'expired-past-grace', count: 1 },
      { mode: 'enforce', outcome: 'spared', reason: 'in-grace-period', count: 1 },
    ]);
    expect(snapshot.decisionsSince).toEqual([
      { mode: 'enforce', outcome: 'deactivated', reason: 'expired-past-grace', count: 2 },
      { mode: 'enforce', outcome: 'spared', reason: 'in-grace-period', count: 1 },
    ]);
    await expect(sut.decisionCounts({ runIds: [] })).resolves.toEqual([]);
  });
});
