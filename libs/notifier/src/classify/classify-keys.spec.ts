import type { AccountAccessKey } from '@app/iam';
import { DAY_MS } from '../notifier.constants';
import { classifyKeys, type AgePolicy } from './classify-keys';

const now = new Date('2026-11-23T12:00:00.000Z');
const policy: AgePolicy = { warnAgeDays: 15, expireAgeDays: 20 };

function keyAged(ms: number, id = 'AKIAEXAMPLE', accountId = '111111111111'): AccountAccessKey {
  const createdDate = new Date(now.getTime() - ms);
  return { accountId, userName: 'alice', accessKeyId: id, createdDate, status: 'Active', ageHours: ms / 3_600_000 };
}

describe(classifyKeys.name, () => {
  let sut: typeof classifyKeys;

  beforeEach(() => {
    sut = classifyKeys;
  });

  it('ignores a key one millisecond short of the warning age', () => {
    expect(sut([keyAged(15 * DAY_MS - 1)], now, policy)).toEqual([]);
  });

  it('warns from exactly the warning age', () => {
    const [key] = sut([keyAged(15 * DAY_MS)], now, policy);
    expect(key).toMatchObject({ state: 'warning', ageDays: 15 });
  });

  it('still warns one millisecond short of the expiry age', () => {
    const [key] = sut([keyAged(20 * DAY_MS - 1)], now, policy);
    expect(key).toMatchObject({ state: 'warning', ageDays: 19 });
  });

  it('says rotate now from exactly the expiry age', () => {
    const [key] = sut([keyAged(20 * DAY_MS)], now, policy);
    expect(key).toMatchObject({ state: 'expired', ageDays: 20 });
  });

  it('gives the exact instant the key expires: creation plus the expiry age', () => {
    const created = new Date('2026-11-06T09:41:27.123Z');
    const [key] = sut([{ ...keyAged(0), createdDate: created }], now, policy);
    expect(key.expiresAt.toISOString()).toBe('2026-11-26T09:41:27.123Z');
    expect(key).toMatchObject({ state: 'warning', ageDays: 17 });
  });

  it('keeps the scan order and copies identity and status', () => {
    const keys = [keyAged(40 * DAY_MS, 'AKIAOLD'), { ...keyAged(16 * DAY_MS, 'AKIANEW'), status: 'Inactive' as const }];
    expect(sut(keys, now, policy).map((k) => [k.accessKeyId, k.state, k.status])).toEqual([
      ['AKIAOLD', 'expired', 'Active'],
      ['AKIANEW', 'warning', 'Inactive'],
    ]);
  });

  it('carries the account of each key', () => {
    const keys = [
      { ...keyAged(16 * DAY_MS, 'AKIA1', '200000000001'), accountName: 'member-001' },
      keyAged(16 * DAY_MS),
    ];
    expect(sut(keys, now, policy).map((k) => [k.accountId, k.accountName])).toEqual([
      ['200000000001', 'member-001'],
      ['111111111111', undefined],
    ]);
  });

  it("ages each account's keys against the instant that account was read", () => {
    const readAt = new Map([
      ['111111111111', now],
      ['200000000001', new Date(now.getTime() - 1)],
    ]);
    const keys = [keyAged(15 * DAY_MS, 'AKIASELF'), keyAged(15 * DAY_MS, 'AKIAMEMBER', '200000000001')];
    // Read one millisecond earlier, the member's key was still one millisecond short of the warning age.
    expect(sut(keys, (id) => readAt.get(id)!, policy).map((k) => k.accessKeyId)).toEqual(['AKIASELF']);
  });

  it('honours a custom policy', () => {
    const [key] = sut([keyAged(2 * DAY_MS)], now, { warnAgeDays: 1, expireAgeDays: 2 });
    expect(key.state).toBe('expired');
  });
});
