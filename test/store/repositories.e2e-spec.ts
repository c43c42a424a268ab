import { ScanStateError, type KeyObservation, type StoreEngine } from '@app/store';
import { describeStore, repositories } from './support/store-fixture';

const DAY = 86_400_000;
const t0 = new Date('2026-03-01T00:00:00.000Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);

const key = (userName: string, accessKeyId: string, over: Partial<KeyObservation> = {}): KeyObservation => ({
  userName,
  accessKeyId,
  status: 'Active',
  createdAt: new Date('2025-01-01T00:00:00.000Z'),
  lastUsedAt: null,
  lastUsedService: null,
  lastUsedRegion: null,
  ...over,
});

describeStore('store repositories', (fx) => {
  let engine: StoreEngine;
  let repo: ReturnType<typeof repositories>;
  beforeAll(async () => {
    engine = await fx.openMigrated();
    repo = repositories(engine);
  });

  it('a scan: nothing visible before an account completes, then exactly its keys; partial when one fails', async () => {
    const A = '111111111111';
    const B = '222222222222';
    const scanId = await repo.scans.start({
      source: 'credential-report',
      trigger: 'on-demand',
      accounts: [{ accountId: A, name: 'prod' }, { accountId: B }],
      startedAt: at(0),
    });
    await expect(repo.inventory.latest([A, B])).resolves.toEqual([]);
    const k1 = key('alice', 'AKIAALICE0000000001', {
      lastUsedAt: at(-1),
      lastUsedService: 's3',
      lastUsedRegion: 'eu-west-1',
    });
    const k2 = key('bob', 'AKIABOB000000000001', { status: 'Inactive' });
    const counts = await repo.scans.recordAccount({
      scanId,
      accountId: A,
      readAt: at(0),
      keys: [k1, k2],
      findings: [{ accessKeyId: k1.accessKeyId, code: 'old' }],
    });
    expect(counts).toEqual({
      recorded: true,
      keysSeen: 2,
      keysAdded: 2,
      keysChanged: 0,
      keysDeleted: 0,
      findingsOpened: 1,
      findingsResolved: 0,
    });
    await repo.scans.failAccount(scanId, B, 'ACCESS_DENIED', at(0));
    await expect(repo.scans.finish(scanId, at(0.01))).resolves.toBe('partial');

    await expect(repo.inventory.latest([A, B])).resolves.toEqual([
      {
        accountId: A,
        accountName: 'prod',
        scanId,
        source: 'credential-report',
        dataReadAt: at(0),
        keys: [
          { accountId: A, ...k1, firstSeen: at(0), lastSeen: at(0) },
          { accountId: A, ...k2, firstSeen: at(0), lastSeen: at(0) },
        ],
        tagExemptions: new Map(),
      },
    ]);
    const view = await repo.scans.get(scanId);
    expect(view).toMatchObject({
      id: scanId,
      source: 'credential-report',
      trigger: 'on-demand',
      status: 'partial',
      startedAt: at(0),
      finishedAt: at(0.01),
    });
    expect(view?.accounts).toEqual([
      {
        accountId: A,
        accountName: 'prod',
        status: 'complete',
        errorCode: null,
        finishedAt: at(0),
        keysSeen: 2,
        keysAdded: 2,
        keysChanged: 0,
        keysDeleted: 0,
        findingsOpened: 1,
        findingsResolved: 0,
      },
      {
        accountId: B,
        accountName: null,
        status: 'failed',
        errorCode: 'ACCESS_DENIED',
        finishedAt: at(0),
        keysSeen: 0,
        keysAdded: 0,
        keysChanged: 0,
        keysDeleted: 0,
        findingsOpened: 0,
        findingsResolved: 0,
      },
    ]);
    await expect(repo.accounts.list()).resolves.toEqual([
      { accountId: A, name: 'prod', firstSeen: at(0), lastSeen: at(0) },
      { accountId: B, name: null, firstSeen: at(0), lastSeen: at(0) },
    ]);
    await expect(
      repo.scans.recordAccount({ scanId, accountId: A, readAt: at(0), keys: [], findings: [] }),
    ).rejects.toThrow(new ScanStateError(`Scan ${scanId} is partial; it takes no more results`));
    await expect(repo.scans.get(999_999)).resolves.toBeNull();
  });

  it('the next scan: a rotation, a status change, findings resolved and opened, each with its history', async () => {
    const A = '333333333333';
    const old = key('alice', 'AKIAALICEOLD0000001', { createdAt: new Date('2025-01-01T00:00:00Z') });
    const bob = key('bob', 'AKIABOB000000000002', { status: 'Inactive' });
    const first = await repo.scans.start({
      source: 'list-users',
      trigger: 'schedule',
      accounts: [{ accountId: A }],
      startedAt: at(0),
    });
    await repo.scans.recordAccount({
      scanId: first,
      accountId: A,
      readAt: at(0),
      keys: [old, bob],
      findings: [{ accessKeyId: old.accessKeyId, code: 'old' }],
    });
    await expect(repo.scans.finish(first, at(0))).resolves.toBe('complete');

    const fresh = key('alice', 'AKIAALICENEW0000001', { createdAt: at(0.5) });
    const bobOn = { ...bob, status: 'Active' as const };
    const second = await repo.scans.start({
      source: 'list-users',
      trigger: 'schedule',
      accounts: [{ accountId: A }],
      startedAt: at(1),
    });
    const counts = await repo.scans.recordAccount({
      scanId: second,
      accountId: A,
      readAt: at(1),
      keys: [fresh, bobOn],
      findings: [{ accessKeyId: bob.accessKeyId, code: 'unused' }],
    });
    expect(counts).toEqual({
      recorded: true,
      keysSeen: 2,
      keysAdded: 1,
      keysChanged: 1,
      keysDeleted: 1,
      findingsOpened: 1,
      findingsResolved: 1,
    });
    await repo.scans.finish(second, at(1));

    const [inventory] = await repo.inventory.latest([A]);
    expect(inventory.scanId).toBe(second);
    expect(inventory.keys.map((k) => [k.accessKeyId, k.status, k.firstSeen, k.lastSeen])).toEqual([
      [fresh.accessKeyId, 'Active', at(1), at(1)],
      [bob.accessKeyId, 'Active', at(0), at(1)],
    ]);
    await expect(repo.inventory.key(A, old.accessKeyId)).resolves.toMatchObject({
      deletedAt: at(1),
      rotatedTo: fresh.accessKeyId,
      lastSeen: at(0),
    });
    await expect(repo.inventory.history(A, old.accessKeyId)).resolves.toEqual([
      { kind: 'first_seen', oldStatus: null, newStatus: 'Active', at: at(0), scanId: first },
      { kind: 'deleted', oldStatus: 'Active', newStatus: null, at: at(1), scanId: second },
    ]);
    await expect(repo.inventory.history(A, bob.accessKeyId)).resolves.toEqual([
      { kind: 'first_seen', oldStatus: null, newStatus: 'Inactive', at: at(0), scanId: first },
      { kind: 'status_changed', oldStatus: 'Inactive', newStatus: 'Active', at: at(1), scanId: second },
    ]);
    await expect(repo.findings.forKey(A, old.accessKeyId)).resolves.toEqual([
      {
        accountId: A,
        accessKeyId: old.accessKeyId,
        userName: 'alice',
        code: 'old',
        firstSeen: at(0),
        lastSeen: at(0),
        resolvedAt: at(1),
      },
    ]);
    await expect(repo.findings.open(A)).resolves.toEqual([
      {
        accountId: A,
        accessKeyId: bob.accessKeyId,
        userName: 'bob',
        code: 'unused',
        firstSeen: at(1),
        lastSeen: at(1),
        resolvedAt: null,
      },
    ]);
  });

  it('a transaction aborted half way leaves nothing of the account written; the next write completes', async () => {
    const A = '444444444444';
    const k1 = key('carol', 'AKIACAROL0000000001');
    const first = await repo.scans.start({
      source: 'list-users',
      trigger: 'job',
      accounts: [{ accountId: A }],
      startedAt: at(0),
    });
    await repo.scans.recordAccount({ scanId: first, accountId: A, readAt: at(0), keys: [k1], findings: [] });
    await repo.scans.finish(first, at(0));
    const before = await repo.inventory.latest([A]);

    const second = await repo.scans.start({
      source: 'list-users',
      trigger: 'job',
      accounts: [{ accountId: A }],
      startedAt: at(1),
    });
    const many = Array.from({ length: 1500 }, (_, i) => key(`user${i}`, `AKIAMANY${String(i).padStart(11, '0')}`));
    // The keys (1,500 rows, two statements) are written before the findings fail the CHECK constraint.
    await expect(
      repo.scans.recordAccount({
        scanId: second,
        accountId: A,
        readAt: at(1),
        keys: many,
        findings: [{ accessKeyId: many[0].accessKeyId, code: 'bogus' as never }],
      }),
    ).rejects.toThrow();
    await expect(
      repo.scans.recordAccount({
        scanId: second,
        accountId: A,
        readAt: at(1),
        keys: [k1],
        findings: [{ accessKeyId: 'AKIANOTSEEN00000001', code: 'old' }],
      }),
    ).rejects.toThrow(`Finding old names key AKIANOTSEEN00000001, which the scan of ${A} did not see`);

    await expect(repo.inventory.latest([A])).resolves.toEqual(before);
    await expect(repo.inventory.key(A, many[0].accessKeyId)).resolves.toBeNull();
    await expect(repo.inventory.history(A, k1.accessKeyId)).resolves.toHaveLength(1);
    expect((await repo.scans.get(second))?.accounts).toEqual([
      expect.objectContaining({ accountId: A, status: 'pending' }),
    ]);

    await expect(
      repo.scans.recordAccount({ scanId: second, accountId: A, readAt: at(1), keys: many, findings: [] }),
    ).resolves.toMatchObject({ keysSeen: 1500, keysAdded: 1500, keysDeleted: 1 });
    await expect(repo.scans.finish(second, at(1))).resolves.toBe('complete');
    const [after] = await repo.inventory.latest([A]);
    expect(after.keys).toHaveLength(1500);
    await expect(repo.inventory.key(A, k1.accessKeyId)).resolves.toMatchObject({ deletedAt: at(1), rotatedTo: null });
  }, 60_000);

  it('a reader during a large write sees the account before or after, never half of it', async () => {
    const A = '555555555555';
    const keys = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => key(`u${i}`, `AKIA${tag}${String(i).padStart(12, '0')}`));
    const first = await repo.scans.start({
      source: 'list-users',
      trigger: 'job',
      accounts: [{ accountId: A }],
      startedAt: at(0),
    });
    await repo.scans.recordAccount({
      scanId: first,
      accountId: A,
      readAt: at(0),
      keys: keys(2000, 'OLD'),
      findings: [],
    });
    await repo.scans.finish(first, at(0));

    const second = await repo.scans.start({
      source: 'list-users',
      trigger: 'job',
      accounts: [{ accountId: A }],
      startedAt: at(1),
    });
    let writing = true;
    const write = repo.scans
      .recordAccount({ scanId: second, accountId: A, readAt: at(1), keys: keys(3000, 'NEW'), findings: [] })
      .finally(() => {
        writing = false;
      });
    const seen: Array<[number, number]> = [];
    while (writing) {
      const [inv] = await repo.inventory.latest([A]);
      const consistent = inv.keys.every((k) => k.lastSeen.getTime() === inv.dataReadAt.getTime());
      expect(consistent).toBe(true);
      seen.push([inv.scanId, inv.keys.length]);
    }
    await write;
    const [inv] = await repo.inventory.latest([A]);
    seen.push([inv.scanId, inv.keys.length]);
    for (const [scanId, count] of seen) {
      expect([`${first}:2000`, `${second}:3000`]).toContain(`${scanId}:${count}`);
    }
    expect(seen.at(-1)).toEqual([second, 3000]);
  }, 60_000);

  it("each account's own scan time from its latest complete part that has one; failed parts and other accounts left out", async () => {
    const [A, B, C, D] = ['510000000001', '510000000002', '510000000003', '510000000004'];
    const scan = async (day: number, parts: Array<[string, number | undefined] | [string, 'failed']>) => {
      const scanId = await repo.scans.start({
        source: 'list-users',
        trigger: 'job',
        accounts: parts.map(([accountId]) => ({ accountId })),
        startedAt: at(day),
      });
      for (const [accountId, took] of parts) {
        if (took === 'failed') {
          await repo.scans.failAccount(scanId, accountId, 'IAM_TIMEOUT', at(day));
        } else {
          const durationMs = took === undefined ? {} : { durationMs: took };
          await repo.scans.recordAccount({ scanId, accountId, readAt: at(day), ...durationMs, keys: [], findings: [] });
        }
      }
      await repo.scans.finish(scanId, at(day));
    };
    await scan(0, [
      [A, 1_200.4],
      [B, 300],
      [C, undefined],
    ]);
    await scan(1, [
      [A, 'failed'],
      [B, 4_000],
      [C, 90],
    ]);
    await scan(2, [[B, undefined]]);

    expect(await repo.scans.lastDurations([A, B, C, D])).toEqual(
      new Map([
        [A, 1_200],
        [B, 4_000],
        [C, 90],
      ]),
    );
    expect(await repo.scans.lastDurations([C])).toEqual(new Map([[C, 90]]));
    expect(await repo.scans.lastDurations([])).toEqual(new Map());
  });

  it('notifications: one per key and stage; a second record of the same stage is refused and the first stands', async () => {
    const sent = {
      accountId: '666666666666',
      accessKeyId: 'AKIANOTIFY000000001',
      stage: 'warning',
      recipient: 'dave@example.com',
      sesMessageId: 'ses-1',
      sentAt: at(0),
    };
    await expect(repo.notifications.record(sent)).resolves.toBe(true);
    await expect(repo.notifications.record({ ...sent, sesMessageId: 'ses-2', sentAt: at(1) })).resolves.toBe(false);
    await expect(repo.notifications.find(sent.accountId, sent.accessKeyId, 'warning')).resolves.toEqual(sent);
    await expect(repo.notifications.find(sent.accountId, sent.accessKeyId, 'final')).resolves.toBeNull();
    const reminder = { ...sent, stage: 'reminder-1', sesMessageId: 'ses-3', sentAt: at(7) };
    await expect(repo.notifications.record(reminder)).resolves.toBe(true);
    await expect(repo.notifications.forKey(sent.accountId, sent.accessKeyId)).resolves.toEqual([sent, reminder]);
    await expect(repo.notifications.record({ ...sent, stage: 'nag' })).rejects.toThrow();
  });

  it("retention purge forgets history older than the cutoff, but never an account's current inventory", async () => {
    const A = '777777777777';
    const now = at(1000);
    const oldKey = key('erin', 'AKIAERINOLD00000001');
    const keep = key('erin', 'AKIAERINKEEP0000001');
    const s1 = await repo.scans.start({
      source: 'list-users',
      trigger: 'job',
      accounts: [{ accountId: A }],
      startedAt: at(0),
    });
    await repo.scans.recordAccount({
      scanId: s1,
      accountId: A,
      readAt: at(0),
      keys: [oldKey, keep],
      findings: [{ accessKeyId: keep.accessKeyId, code: 'old' }],
    });
    await repo.scans.finish(s1, at(0));
    // Day 10: the old key is gone and keep's finding resolved; both are history by day 1000.
    const s2 = await repo.scans.start({
      source: 'list-users',
      trigger: 'job',
      accounts: [{ accountId: A }],
      startedAt: at(10),
    });
    await repo.scans.recordAccount({ scanId: s2, accountId: A, readAt: at(10), keys: [keep], findings: [] });
    await repo.scans.finish(s2, at(10));
    const base = { accountId: A, stage: 'warning', recipient: 'erin@example.com', sesMessageId: 'x', sentAt: at(5) };
    await repo.notifications.record({ ...base, accessKeyId: oldKey.accessKeyId });
    await repo.notifications.record({ ...base, accessKeyId: keep.accessKeyId });

    const purged = await repo.retention.purge(400, now);
    // Other tests' rows, all at day 0-7, go too: count only what this account had.
    expect(purged.deletedKeys).toBeGreaterThanOrEqual(1);
    await expect(repo.scans.get(s1)).resolves.toBeNull();
    await expect(repo.scans.get(s2)).resolves.toMatchObject({ status: 'complete' });
    await expect(repo.inventory.key(A, oldKey.accessKeyId)).resolves.toBeNull();
    await expect(repo.findings.forKey(A, keep.accessKeyId)).resolves.toEqual([]);
    await expect(repo.inventory.history(A, keep.accessKeyId)).resolves.toEqual([]);
    await expect(repo.notifications.forKey(A, oldKey.accessKeyId)).resolves.toEqual([]);
    await expect(repo.notifications.forKey(A, keep.accessKeyId)).resolves.toHaveLength(1);
    const [inv] = await repo.inventory.latest([A]);
    expect(inv).toMatchObject({ scanId: s2, dataReadAt: at(10) });
    expect(inv.keys.map((k) => k.accessKeyId)).toEqual([keep.accessKeyId]);

    await expect(repo.retention.purge(400, now)).resolves.toEqual({
      scans: 0,
      deletedKeys: 0,
      keyEvents: 0,
      resolvedFindings: 0,
      notifications: 0,
      ladders: 0,
      digests: 0,
    });
    // Nothing within the window goes: a day-10 deletion is kept at a cutoff of day 5.
    await expect(repo.retention.purge(400, at(405))).resolves.toEqual({
      scans: 0,
      deletedKeys: 0,
      keyEvents: 0,
      resolvedFindings: 0,
      notifications: 0,
      ladders: 0,
      digests: 0,
    });
  });
});
