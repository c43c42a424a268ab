import type { ConfigType } from '@nestjs/config';
import type { InventoryService } from '@app/findings';
import type { InventoryChangeFeed, InventoryRepository, AccountState } from '@app/store';
import type { scansConfig } from '../config/scans.config';
import type { InventoryScanRunner } from '../runner/inventory-scan.runner';
import { StoredInventoryService } from './stored-inventory.service';

const accounts = Array.from({ length: 18 }, (_, i) => `2000000000${String(i + 10)}`);
const states: AccountState[] = accounts.map((accountId, i) => ({
  accountId,
  accountName: null,
  status: 'skipped',
  errorCode: 'SUSPENDED',
  finishedAt: new Date(0),
  scanId: i + 1,
}));

/** The rows a read would build an answer from are held per account selection; these specs count the store reads. */
describe(StoredInventoryService.name, () => {
  let repository: { accountStates: jest.Mock; latest: jest.Mock };
  let changes: { live: boolean; version: number };
  let sut: StoredInventoryService;

  beforeEach(() => {
    repository = { accountStates: jest.fn(() => Promise.resolve(states)), latest: jest.fn(() => Promise.resolve([])) };
    changes = { live: true, version: 1 };
    const inventory = {
      judgeStored: jest.fn((input: object) => ({ ...input, keys: [], rootKeys: [], judgedUntilMs: Infinity })),
    };
    const config = { waitMs: 1_000 } as ConfigType<typeof scansConfig>;
    sut = new StoredInventoryService(
      repository as unknown as InventoryRepository,
      inventory as unknown as InventoryService,
      {} as InventoryScanRunner,
      changes as unknown as InventoryChangeFeed,
      config,
      { now: () => new Date('2026-12-01T00:00:00Z') },
    );
  });

  const read = (accountIds: string[]) => sut.read({ accountIds, includeExempted: false });

  it('holds the rows of at most 16 account selections, the oldest held dropped first', async () => {
    for (const id of accounts.slice(0, 16)) {
      await read([id]);
    }
    expect(repository.accountStates).toHaveBeenCalledTimes(16);

    await read([accounts[0]]);
    await read([accounts[15]]);
    expect(repository.accountStates).toHaveBeenCalledTimes(16);

    await read([accounts[16]]); // the 17th selection: the first one held is dropped
    expect(repository.accountStates).toHaveBeenCalledTimes(17);
    await read([accounts[1]]);
    expect(repository.accountStates).toHaveBeenCalledTimes(17);
    await read([accounts[0]]);
    expect(repository.accountStates).toHaveBeenCalledTimes(18);
  });

  it('the same accounts in another order or repeated are one selection', async () => {
    await read([accounts[2], accounts[1]]);
    await read([accounts[1], accounts[2], accounts[1]]);
    expect(repository.accountStates).toHaveBeenCalledTimes(1);
  });

  it('drops every held selection when the store changes, and holds none while changes cannot be heard', async () => {
    await read([accounts[0]]);
    await read([accounts[1]]);
    changes.version = 2;
    await read([accounts[0]]);
    await read([accounts[1]]);
    expect(repository.accountStates).toHaveBeenCalledTimes(4);

    changes.live = false;
    await read([accounts[0]]);
    await read([accounts[0]]);
    expect(repository.accountStates).toHaveBeenCalledTimes(6);
  });
});
