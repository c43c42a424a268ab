import {
  INVENTORY_CHANGED_CHANNEL,
  InventoryChangeFeed,
  LISTEN_RETRY_MS,
  type ChannelSubscription,
  type StoreEngine,
} from '@app/store';
import { describeStore, repositories } from './support/store-fixture';

const AT = new Date('2026-03-01T00:00:00.000Z');

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Gave up waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describeStore('inventory changes are heard', (fx) => {
  let engine: StoreEngine;
  let repo: ReturnType<typeof repositories>;
  let feed: InventoryChangeFeed;
  let heard = 0;
  let own: ChannelSubscription;
  let ownListening = false;

  /** Notifications heard on the channel by a subscription of the test's own, payloads in arrival order. */
  const payloads: string[] = [];
  let fences = 0;

  /**
   * How many notifications `work` raised: a NOTIFY with a payload of its own is sent after it as a fence (a
   * listener gets notifications in commit order, so once the fence is in, everything before it is).
   */
  async function raisedBy(work: () => Promise<unknown>): Promise<number> {
    const from = payloads.length;
    await work();
    const fence = `fence-${++fences}`;
    await engine.withSession((s) => s.exec(`NOTIFY inventory_changed, '${fence}'`));
    await until(() => payloads.includes(fence), `the fence ${fence}`);
    return payloads.slice(from, payloads.indexOf(fence)).length;
  }

  beforeAll(async () => {
    engine = await fx.openMigrated();
    repo = repositories(engine);
    own = await engine.listen(INVENTORY_CHANGED_CHANNEL, {
      notified: (p) => payloads.push(p),
      heard: (listening) => (ownListening = listening),
    });
    feed = new InventoryChangeFeed(engine);
    await feed.subscribe(() => heard++);
  });
  afterAll(async () => {
    await own.stop();
    await feed.onModuleDestroy();
  });

  it('listens once subscribed, and a subscriber runs on each change', () => {
    expect(feed.live).toBe(true);
    expect(heard).toBe(1);
    expect(feed.version).toBe(1);
  });

  it("an account's part of a scan (many statements, one transaction) is heard once, at commit", async () => {
    let scanId = 0;
    // Heard too (not counted here): raisedBy fences it off from the part's count.
    await raisedBy(async () => {
      scanId = await repo.scans.start({
        source: 'credential-report',
        trigger: 'on-demand',
        accounts: [{ accountId: '111111111111', name: 'prod' }],
        startedAt: AT,
      });
    });
    // The feed has heard all of it too (its one more: listening began).
    await until(() => heard === payloads.length + 1, 'the feed to catch up');
    const heardBefore = heard;
    const part = () =>
      repo.scans.recordAccount({
        scanId,
        accountId: '111111111111',
        readAt: AT,
        keys: [
          {
            userName: 'alice',
            accessKeyId: 'AKIAALICE0000000001',
            status: 'Active',
            createdAt: new Date('2025-01-01T00:00:00.000Z'),
            lastUsedAt: null,
            lastUsedService: null,
            lastUsedRegion: null,
          },
        ],
        findings: [{ accessKeyId: 'AKIAALICE0000000001', code: 'old' }],
      });
    await expect(raisedBy(part)).resolves.toBe(1);
    await expect(raisedBy(() => repo.scans.finish(scanId, AT))).resolves.toBe(1);
    // The feed heard the same: two changes and two fences.
    await until(() => heard === heardBefore + 4, 'the feed to hear them');
  });

  it('a rolled-back write and a write to a table the inventory is not read from are not heard', async () => {
    const rolledBack = () =>
      engine.db
        .transaction(async (tx) => {
          await repo.accounts.upsert('222222222222', 'staging', AT, tx);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
    await expect(raisedBy(rolledBack)).resolves.toBe(0);
    await expect(raisedBy(() => repo.leases.acquire('e2e-lease', 'holder', 30_000, AT))).resolves.toBe(0);
  });

  // One process per DATA_DIR: the embedded store has no other connection to write from or to lose.
  if (fx.name === 'postgres') {
    it('a write from another connection of the store is heard as well', async () => {
      const other = await fx.open();
      await expect(raisedBy(() => repositories(other).accounts.upsert('333333333333', 'dev', AT))).resolves.toBe(1);
    });

    it('a lost listener connection says nothing is heard, then listens again and moves the version', async () => {
      const before = feed.version;
      await engine.withSession((s) =>
        s.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'iam-key-monitor-listen' AND datname = current_database()`,
        ),
      );
      await until(() => !feed.live, 'the feed to notice the lost connection');
      expect(feed.version).toBeGreaterThan(before);
      const lostAt = feed.version;
      await until(() => feed.live && ownListening, 'both to listen again', LISTEN_RETRY_MS * 10);
      expect(feed.version).toBeGreaterThan(lostAt);
      await expect(raisedBy(() => repo.accounts.upsert('444444444444', 'qa', AT))).resolves.toBe(1);
    });
  }
});
