import type { KeyObservation, StoreEngine } from '@app/store';
import { describeStore, repositories } from './support/store-fixture';

const MIN = 60_000;
const t0 = new Date('2026-05-01T00:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * MIN);
const A = '111111111111';

const key = (userName: string, accessKeyId: string): KeyObservation => ({
  userName,
  accessKeyId,
  status: 'Active',
  createdAt: new Date('2025-01-01T00:00:00.000Z'),
  lastUsedAt: null,
  lastUsedService: null,
  lastUsedRegion: null,
});

describeStore('store: scans across runners, leases, tag exemptions', (fx) => {
  let engine: StoreEngine;
  let repo: ReturnType<typeof repositories>;
  beforeAll(async () => {
    engine = await fx.openMigrated();
    repo = repositories(engine);
  });

  it('an older read of an account never overwrites a newer one: its part fails as SUPERSEDED', async () => {
    const start = (minute: number) =>
      repo.scans.start({
        source: 'credential-report',
        trigger: 'job',
        accounts: [{ accountId: A }],
        startedAt: at(minute),
      });
    const slow = await start(0);
    const fast = await start(1);
    await expect(
      repo.scans.recordAccount({
        scanId: fast,
        accountId: A,
        readAt: at(2),
        keys: [key('new', 'AKIANEW')],
        findings: [],
      }),
    ).resolves.toMatchObject({ recorded: true, keysSeen: 1 });
    await expect(
      repo.scans.recordAccount({
        scanId: slow,
        accountId: A,
        readAt: at(1.5),
        keys: [key('old', 'AKIAOLD')],
        findings: [],
      }),
    ).resolves.toEqual({ recorded: false, reason: 'SUPERSEDED' });
    await repo.scans.finish(slow, at(3));
    await repo.scans.finish(fast, at(3));

    const [inventory] = await repo.inventory.latest([A]);
    expect(inventory.scanId).toBe(fast);
    expect(inventory.keys.map((k) => k.accessKeyId)).toEqual(['AKIANEW']);
    await expect(repo.inventory.key(A, 'AKIAOLD')).resolves.toBeNull();
    const view = await repo.scans.get(slow);
    expect(view?.status).toBe('failed');
    expect(view?.accounts).toEqual([
      expect.objectContaining({ accountId: A, status: 'failed', errorCode: 'SUPERSEDED' }),
    ]);
  });

  it('tag exemptions are replaced with the account part and read back with the inventory', async () => {
    const B = '222222222222';
    const record = async (minute: number, tags: Array<{ userName: string; exemption: unknown }>) => {
      const scanId = await repo.scans.start({
        source: 'credential-report',
        trigger: 'schedule',
        accounts: [{ accountId: B, name: 'dev' }],
        startedAt: at(minute),
      });
      await repo.scans.recordAccount({
        scanId,
        accountId: B,
        readAt: at(minute),
        keys: [key('alice', 'AKIAALICE'), key('bob', 'AKIABOB')],
        findings: [],
        tagExemptions: tags,
      });
      await repo.scans.finish(scanId, at(minute));
    };
    await record(10, [
      { userName: 'alice', exemption: { reason: 'vendor', expiresAt: '2026-06-01T00:00:00.000Z' } },
      { userName: 'bob', exemption: { reason: 'legacy' } },
    ]);
    let [inventory] = await repo.inventory.latest([B]);
    expect(inventory.accountName).toBe('dev');
    expect([...inventory.tagExemptions.entries()]).toEqual([
      ['alice', { reason: 'vendor', expiresAt: '2026-06-01T00:00:00.000Z' }],
      ['bob', { reason: 'legacy' }],
    ]);
    await record(20, [{ userName: 'bob', exemption: { reason: 'legacy, renewed' } }]);
    [inventory] = await repo.inventory.latest([B]);
    expect([...inventory.tagExemptions.entries()]).toEqual([['bob', { reason: 'legacy, renewed' }]]);
  });

  it('abandon ends only the shard\u2019s running scans, keeping what they recorded; lastStarted sees every trigger asked', async () => {
    const C = '333333333333';
    const mine = await repo.scans.start({
      source: 'credential-report',
      trigger: 'job',
      shard: '0/3',
      accounts: [{ accountId: C }, { accountId: '444444444444' }],
      startedAt: at(30),
    });
    const other = await repo.scans.start({
      source: 'credential-report',
      trigger: 'job',
      shard: '1/3',
      accounts: [{ accountId: '555555555555' }],
      startedAt: at(31),
    });
    await repo.scans.recordAccount({
      scanId: mine,
      accountId: C,
      readAt: at(30),
      keys: [key('c', 'AKIAC')],
      findings: [],
    });
    await expect(repo.scans.running('0/3')).resolves.toEqual([mine]);
    await expect(repo.scans.abandon('0/3', at(40))).resolves.toEqual([mine]);
    await expect(repo.scans.running('0/3')).resolves.toEqual([]);
    await expect(repo.scans.running('1/3')).resolves.toEqual([other]);
    const view = await repo.scans.get(mine);
    expect(view).toMatchObject({ status: 'partial', shard: '0/3' });
    expect(view?.accounts.map((a) => [a.accountId, a.status, a.errorCode])).toEqual([
      [C, 'complete', null],
      ['444444444444', 'failed', 'INCOMPLETE'],
    ]);
    const [inventory] = await repo.inventory.latest([C]);
    expect(inventory.keys.map((k) => k.accessKeyId)).toEqual(['AKIAC']);
    await expect(repo.scans.lastStarted(['job'])).resolves.toEqual({ id: other, startedAt: at(31), status: 'running' });
    await expect(repo.scans.lastStarted(['startup'])).resolves.toBeNull();
  });

  it('a lease: one holder at a time, renewed by its holder, taken over once expired, released', async () => {
    const ttl = 60_000;
    await expect(repo.leases.acquire('scheduler', 'api-1', ttl, at(100))).resolves.toBe(true);
    await expect(repo.leases.acquire('scheduler', 'api-2', ttl, at(100.5))).resolves.toBe(false);
    await expect(repo.leases.acquire('scheduler', 'api-1', ttl, at(100.9))).resolves.toBe(true);
    await expect(repo.leases.holder('scheduler', at(101))).resolves.toBe('api-1');
    // api-1's renewal at 100.9 runs until 101.9: api-2 waits until then.
    await expect(repo.leases.acquire('scheduler', 'api-2', ttl, at(101.5))).resolves.toBe(false);
    await expect(repo.leases.acquire('scheduler', 'api-2', ttl, at(101.9))).resolves.toBe(true);
    await expect(repo.leases.acquire('scheduler', 'api-1', ttl, at(102))).resolves.toBe(false);
    await repo.leases.release('scheduler', 'api-1');
    await expect(repo.leases.holder('scheduler', at(102))).resolves.toBe('api-2');
    await repo.leases.release('scheduler', 'api-2');
    await expect(repo.leases.holder('scheduler', at(102))).resolves.toBeNull();
    await expect(repo.leases.acquire('scheduler', 'api-1', ttl, at(102))).resolves.toBe(true);
  });
});
