import { LadderRepository, NotificationsRepository, RetentionRepository, type StoreEngine } from '@app/store';
import { describeStore } from './support/store-fixture';

const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const at = (iso: string) => new Date(iso);
const DAY_MS = 86_400_000;

describeStore('ladder repository', (fx) => {
  let engine: StoreEngine;
  let sut: LadderRepository;

  beforeAll(async () => {
    engine = await fx.openMigrated();
    sut = new LadderRepository(engine);
  });

  const opening = (accessKeyId: string, openedAt: string, accountId = ACCOUNT) => ({
    accountId,
    accessKeyId,
    userName: 'alice',
    keyCreatedAt: at('2026-01-01T00:00:00Z'),
    openedAt: at(openedAt),
  });
  const stage = (
    ladderId: number,
    accessKeyId: string,
    name: string,
    sentAt: string,
    recipient = 'alice@example.com',
  ) =>
    sut.recordStage({
      ladderId,
      accountId: ACCOUNT,
      accessKeyId,
      stage: name,
      recipient,
      sesMessageId: `m-${ladderId}-${name}`,
      sentAt: at(sentAt),
    });

  it('opens one ladder per key, records each stage once per ladder, and a new ladder for the same key after it closed', async () => {
    const [first] = await sut.open([opening('AKIALADDER0000000001', '2026-01-16T00:00:00Z')]);
    await expect(sut.open([opening('AKIALADDER0000000001', '2026-01-17T00:00:00Z')])).resolves.toEqual([]);

    await expect(stage(first.id, 'AKIALADDER0000000001', 'warning', '2026-01-16T00:00:00Z')).resolves.toBe(true);
    await expect(stage(first.id, 'AKIALADDER0000000001', 'warning', '2026-01-16T01:00:00Z')).resolves.toBe(false);
    const [open] = await sut.openLadders([ACCOUNT]);
    expect(open).toMatchObject({ id: first.id, startStage: 'warning', closedAt: null });
    expect(open.sent.map((s) => [s.stage, s.sesMessageId])).toEqual([['warning', `m-${first.id}-warning`]]);
    await expect(sut.openLadders([OTHER])).resolves.toEqual([]);
    await expect(sut.openLadders([])).resolves.toEqual([]);

    await expect(
      sut.close([{ ladderId: first.id, resolution: 'deactivated', closedAt: at('2026-01-18T00:00:00Z') }]),
    ).resolves.toBe(1);
    await expect(
      sut.close([{ ladderId: first.id, resolution: 'deleted', closedAt: at('2026-01-19T00:00:00Z') }]),
    ).resolves.toBe(0);
    const [second] = await sut.open([opening('AKIALADDER0000000001', '2026-01-20T00:00:00Z')]);
    expect(second.id).not.toBe(first.id);
    await expect(stage(second.id, 'AKIALADDER0000000001', 'warning', '2026-01-20T00:00:00Z')).resolves.toBe(true);

    const ladders = await sut.laddersOf(ACCOUNT, 'AKIALADDER0000000001');
    expect(ladders.map((l) => [l.resolution, l.closedAt])).toEqual([
      ['deactivated', at('2026-01-18T00:00:00Z')],
      [null, null],
    ]);
    expect((await sut.stagesOf(ACCOUNT, 'AKIALADDER0000000001')).map((s) => [s.ladderId, s.stage])).toEqual([
      [first.id, 'warning'],
      [second.id, 'warning'],
    ]);
  });

  it('restartAt closes the open ladder as restarted and opens one at final, keeping the key details; twice is once', async () => {
    const [ladder] = await sut.open([opening('AKIARESTART000000001', '2026-02-01T00:00:00Z')]);
    const restarted = await sut.restartAt(ACCOUNT, 'AKIARESTART000000001', 'final', at('2026-03-01T00:00:00Z'));
    await expect(sut.restartAt(ACCOUNT, 'AKIARESTART000000001', 'final', at('2026-03-01T00:00:00Z'))).resolves.toBe(
      restarted,
    );
    const ladders = await sut.laddersOf(ACCOUNT, 'AKIARESTART000000001');
    expect(ladders).toMatchObject([
      { id: ladder.id, resolution: 'restarted', closedAt: at('2026-03-01T00:00:00Z') },
      { id: restarted, startStage: 'final', openedAt: at('2026-03-01T00:00:00Z'), userName: 'alice', closedAt: null },
    ]);

    // A key the notifier never laddered: opened without user or creation, which the notifier fills in later.
    const fresh = await sut.restartAt(ACCOUNT, 'AKIARESTART000000002', 'final', at('2026-03-01T00:00:00Z'));
    expect((await sut.laddersOf(ACCOUNT, 'AKIARESTART000000002'))[0]).toMatchObject({
      userName: null,
      keyCreatedAt: null,
    });
    await sut.describeKeys([{ ladderId: fresh, userName: 'bob', keyCreatedAt: at('2025-12-01T00:00:00Z') }]);
    expect((await sut.laddersOf(ACCOUNT, 'AKIARESTART000000002'))[0]).toMatchObject({
      userName: 'bob',
      keyCreatedAt: at('2025-12-01T00:00:00Z'),
    });
  });

  it('lists unreported resolutions with the last recipient, once, until marked reported', async () => {
    const [ladder] = await sut.open([opening('AKIAREPORT0000000001', '2026-04-01T00:00:00Z')]);
    const [silent] = await sut.open([opening('AKIAREPORT0000000002', '2026-04-01T00:00:00Z')]);
    await stage(ladder.id, 'AKIAREPORT0000000001', 'warning', '2026-04-01T00:00:00Z', 'old@example.com');
    await stage(ladder.id, 'AKIAREPORT0000000001', 'final', '2026-04-04T00:00:00Z', 'new@example.com');
    await sut.close([
      {
        ladderId: ladder.id,
        resolution: 'rotated',
        rotatedTo: 'AKIAREPORTNEW0000001',
        closedAt: at('2026-04-05T00:00:00Z'),
      },
      { ladderId: silent.id, resolution: 'deleted', closedAt: at('2026-04-05T00:00:00Z') },
    ]);

    const unreported = (await sut.unreportedResolutions()).filter((r) => r.accessKeyId.startsWith('AKIAREPORT'));
    expect(unreported).toMatchObject([
      { id: ladder.id, resolution: 'rotated', rotatedTo: 'AKIAREPORTNEW0000001', lastRecipient: 'new@example.com' },
    ]);
    await sut.markReported([ladder.id], at('2026-04-06T00:00:00Z'));
    expect((await sut.unreportedResolutions()).filter((r) => r.accessKeyId.startsWith('AKIAREPORT'))).toEqual([]);
  });

  it('answers what changed between two instants, the median rotation time per window, and the last digest', async () => {
    const until = at('2026-09-30T00:00:00Z');
    const ids: number[] = [];
    // Warned 2, 4 and 9 days before rotation, closed 10, 20 and 60 days before `until`.
    for (const [n, warnedDaysBefore, closedDaysBefore] of [
      [1, 2, 10],
      [2, 4, 20],
      [3, 9, 60],
    ]) {
      const closedAt = new Date(until.getTime() - closedDaysBefore * DAY_MS);
      const warnedAt = new Date(closedAt.getTime() - warnedDaysBefore * DAY_MS);
      const key = `AKIAMEDIAN000000000${n}`;
      const [l] = await sut.open([{ ...opening(key, warnedAt.toISOString(), OTHER) }]);
      await sut.recordStage({
        ladderId: l.id,
        accountId: OTHER,
        accessKeyId: key,
        stage: 'warning',
        recipient: 'x@example.com',
        sesMessageId: `m-${key}`,
        sentAt: warnedAt,
      });
      await sut.close([{ ladderId: l.id, resolution: 'rotated', closedAt }]);
      ids.push(l.id);
    }
    await expect(sut.rotationTimes(until, 30)).resolves.toEqual({ medianDays: 3, rotations: 2 });
    await expect(sut.rotationTimes(until, 90)).resolves.toEqual({ medianDays: 4, rotations: 3 });
    await expect(sut.rotationTimes(at('2020-01-01T00:00:00Z'), 30)).resolves.toEqual({
      medianDays: null,
      rotations: 0,
    });

    const since = new Date(until.getTime() - 15 * DAY_MS);
    expect((await sut.resolvedBetween(since, until)).map((l) => l.id)).toEqual([ids[0]]);
    expect((await sut.openedBetween(since, until)).map((l) => l.id)).toEqual([ids[0]]);

    await expect(sut.lastDigestAt()).resolves.toBeNull();
    await sut.recordDigest({
      recipient: 'sec@example.com',
      sesMessageId: 'd1',
      sentAt: at('2026-06-01T00:00:00Z'),
      summary: {},
    });
    await sut.recordDigest({
      recipient: 'sec@example.com',
      sesMessageId: 'd2',
      sentAt: at('2026-06-02T00:00:00Z'),
      summary: { a: 1 },
    });
    await expect(sut.lastDigestAt()).resolves.toEqual(at('2026-06-02T00:00:00Z'));
  });

  it('counts open ladders by the last stage sent: any reminder as reminder, none yet as unsent, closed ones not', async () => {
    const counts = async () => new Map((await sut.openStageCounts()).map((c) => [c.stage, c.count]));
    const before = await counts();
    const sent: Record<string, string[]> = {
      AKIASTAGES0000000001: ['warning'],
      AKIASTAGES0000000002: ['warning', 'final'],
      AKIASTAGES0000000003: ['warning', 'final', 'expired', 'reminder-1', 'reminder-2'],
      AKIASTAGES0000000004: [],
      AKIASTAGES0000000005: ['warning'],
    };
    for (const [key, stages] of Object.entries(sent)) {
      const [ladder] = await sut.open([opening(key, '2026-05-01T00:00:00Z', '333333333333')]);
      for (const [day, name] of stages.entries()) {
        await stage(ladder.id, key, name, `2026-05-${String(day + 1).padStart(2, '0')}T00:00:00Z`);
      }
      if (key.endsWith('5')) {
        await sut.close([{ ladderId: ladder.id, resolution: 'rotated', closedAt: at('2026-05-10T00:00:00Z') }]);
      }
    }
    const after = await counts();
    const added = (stage: string) => (after.get(stage as never) ?? 0) - (before.get(stage as never) ?? 0);
    expect(['warning', 'final', 'expired', 'reminder', 'unsent'].map((s) => [s, added(s)])).toEqual([
      ['warning', 1],
      ['final', 1],
      ['expired', 0],
      ['reminder', 1],
      ['unsent', 1],
    ]);
  });

  it('keeps recording per key for rows without a ladder (NotificationsRepository), once per stage', async () => {
    const notifications = new NotificationsRepository(engine);
    const row = {
      accountId: ACCOUNT,
      accessKeyId: 'AKIANOLADDER00000001',
      stage: 'warning',
      recipient: 'a@example.com',
      sesMessageId: 'm',
      sentAt: at('2026-01-01T00:00:00Z'),
    };
    await expect(notifications.record(row)).resolves.toBe(true);
    await expect(notifications.record(row)).resolves.toBe(false);
  });

  it("retention forgets ladders closed and digests sent before the cutoff, never an open ladder's stages", async () => {
    const [open] = await sut.open([opening('AKIARETAINOPEN000001', '2026-01-10T00:00:00Z')]);
    await stage(open.id, 'AKIARETAINOPEN000001', 'warning', '2026-01-10T00:00:00Z');

    const purged = await new RetentionRepository(engine).purge(400, at('2028-01-01T00:00:00Z'));

    expect(purged.ladders).toBeGreaterThanOrEqual(5);
    expect(purged.digests).toBe(2);
    await expect(sut.lastDigestAt()).resolves.toBeNull();
    expect((await sut.stagesOf(ACCOUNT, 'AKIARETAINOPEN000001')).map((s) => s.stage)).toEqual(['warning']);
    // The key's closed first ladder went with its stage; the open second one stays with its own.
    expect((await sut.laddersOf(ACCOUNT, 'AKIALADDER0000000001')).map((l) => l.closedAt)).toEqual([null]);
    expect((await sut.stagesOf(ACCOUNT, 'AKIALADDER0000000001')).map((s) => s.sentAt)).toEqual([
      at('2026-01-20T00:00:00Z'),
    ]);
  });
});
