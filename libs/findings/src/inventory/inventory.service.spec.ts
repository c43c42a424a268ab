import { Logger } from '@nestjs/common';
import {
  IamErrorCode,
  IamException,
  type AccountAccessKey,
  type IamClientRegistry,
  type OrganizationScanResult,
  type OrganizationScanService,
} from '@app/iam';
import type { FindingsConfig } from '../config/findings.config';
import type { Exemption } from '../exemptions/exemption.types';
import { ExemptionsService } from '../exemptions/exemptions.service';
import { FindingsService } from '../findings.service';
import { InventoryService } from './inventory.service';
import type { InventoryObserver } from './inventory.types';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const ACCOUNT = '111111111111';
const config: FindingsConfig = {
  thresholds: { rotationMaxAgeHours: 2160, unusedMaxDays: 45, neverUsedGraceHours: 1080 },
  exemptionMaxDays: 180,
};

function key(userName: string, accessKeyId: string, ageDays: number, usedDaysAgo: number | null): AccountAccessKey {
  return {
    accountId: ACCOUNT,
    userName,
    accessKeyId,
    status: 'Active',
    createdDate: new Date(NOW.getTime() - ageDays * DAY),
    ageHours: ageDays * 24,
    lastUse: {
      lastUsedDate: usedDaysAgo === null ? null : new Date(NOW.getTime() - usedDaysAgo * DAY),
      lastUsedService: usedDaysAgo === null ? null : 's3',
      lastUsedRegion: usedDaysAgo === null ? null : 'us-east-1',
    },
  };
}

const KEYS = [
  key('both', 'AKIABOTH1', 120, 1),
  key('both', 'AKIABOTH2', 10, 1),
  key('fine', 'AKIAFINE1', 10, 1),
  key('idle', 'AKIAIDLE1', 60, 50),
];

function scanResult(): OrganizationScanResult {
  return {
    source: 'credential-report',
    query: { hours: 0, includeInactive: true, lastUse: true },
    keys: KEYS,
    rootKeys: [],
    accounts: [
      {
        accountId: ACCOUNT,
        status: 'ok',
        dataReadAt: NOW,
        keyCount: KEYS.length,
        stats: {
          usersSeen: 3,
          usersSkippedYoung: 0,
          usersVanished: 0,
          callsByAction: {},
          throttles: 0,
          retries: 0,
          peakInFlight: 1,
          durationMs: 1,
        },
      },
    ],
    complete: true,
    dataReadAt: NOW,
  };
}

const fileEntry = (userName: string, findings: Exemption['findings']): Exemption => ({
  source: 'file',
  match: { userName },
  findings,
  reason: `${userName} entry`,
  expiresAt: new Date(NOW.getTime() + 30 * DAY),
  line: 2,
});

describe(InventoryService.name, () => {
  let scans: jest.Mocked<Pick<OrganizationScanService, 'scan'>>;
  let listUserTags: jest.Mock<Promise<Record<string, string>>, [string, unknown]>;
  let observer: jest.Mocked<InventoryObserver>;
  let warn: jest.SpyInstance;
  let sut: InventoryService;

  let nowMs: number;

  function build(declared: Exemption[], scanCacheTtlMs = 0): InventoryService {
    return new InventoryService(
      scans as unknown as OrganizationScanService,
      { get: () => ({ listUserTags }) } as unknown as IamClientRegistry,
      new FindingsService(config),
      new ExemptionsService(declared, config),
      { concurrency: 2, scanCacheTtlMs } as never,
      { now: () => new Date(nowMs) },
      observer,
    );
  }

  beforeEach(() => {
    nowMs = NOW.getTime();
    scans = { scan: jest.fn().mockResolvedValue(scanResult()) };
    listUserTags = jest.fn().mockResolvedValue({});
    observer = { inventoryFinished: jest.fn() };
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    sut = build([fileEntry('both', ['old']), fileEntry('nobody', 'all'), fileEntry('idle', 'all')]);
  });

  afterEach(() => jest.restoreAllMocks());

  it('asks one scan with last use of every key, inactive ones included', async () => {
    await sut.inventory({ source: 'list-users', includeExempted: false, accountIds: [ACCOUNT] });

    expect(scans.scan).toHaveBeenCalledWith(
      'list-users',
      { hours: 0, includeInactive: true, lastUse: true },
      { accountIds: [ACCOUNT] },
    );
  });

  it('lists a partly covered key with its exemption; leaves out and counts a fully covered one', async () => {
    const result = await sut.inventory({ source: 'credential-report', includeExempted: false });

    expect(result.keys.map((k) => [k.accessKeyId, k.findings, k.exemption?.reason ?? null, k.exempted])).toEqual([
      ['AKIABOTH1', ['old', 'two_active'], 'both entry', false],
      ['AKIABOTH2', ['two_active'], null, false],
      ['AKIAFINE1', [], null, false],
    ]);
    expect(result.exemptedCount).toBe(1);
  });

  it('reads tags only for users with findings, and answers without them when IAM refuses', async () => {
    listUserTags.mockRejectedValue(new IamException(IamErrorCode.AccessDenied, 'denied', { action: 'ListUserTags' }));

    const result = await sut.inventory({ source: 'credential-report', includeExempted: true });

    expect(listUserTags.mock.calls.map(([userName]) => userName).sort()).toEqual(['both', 'idle']);
    expect(result.keys).toHaveLength(4);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ accountId: ACCOUNT, code: IamErrorCode.AccessDenied }),
      'ListUserTags failed for both: no tag exemption for that user',
    );
  });

  it('logs and counts an exemption that matched no finding, on a scan of every account under the configured thresholds', async () => {
    await sut.inventory({ source: 'credential-report', includeExempted: false });

    expect(warn).toHaveBeenCalledWith(
      { exemption: { line: 2, match: { userName: 'nobody' }, expiresAt: '2026-07-15T12:00:00.000Z' } },
      'exemption matched no finding of any key in this scan: remove it, or it will cover a future key',
    );
    expect(observer.inventoryFinished).toHaveBeenCalledWith(
      new Map([[ACCOUNT, { old: 1, unused: 1, never_used: 0, two_active: 2 }]]),
      { active: 3, expiringWithin14Days: 0, expired: 0, unmatched: 1 },
    );
  });

  it('does not call an entry stale on a narrowed scan, nor report metrics for overridden thresholds', async () => {
    await sut.inventory({ source: 'credential-report', includeExempted: false, accountIds: [ACCOUNT] });
    expect(observer.inventoryFinished).toHaveBeenCalledWith(expect.any(Map), {
      active: 3,
      expiringWithin14Days: 0,
      expired: 0,
    });

    observer.inventoryFinished.mockClear();
    await sut.inventory({ source: 'credential-report', includeExempted: false, thresholds: { unusedMaxDays: 90 } });
    expect(observer.inventoryFinished).not.toHaveBeenCalled();
  });

  it('filters by finding and status, counting exempted keys among those the filters keep', async () => {
    const unused = await sut.inventory({ source: 'credential-report', includeExempted: false, findings: ['unused'] });
    expect(unused.keys).toEqual([]);
    expect(unused.exemptedCount).toBe(1);

    const inactive = await sut.inventory({ source: 'credential-report', includeExempted: true, status: 'Inactive' });
    expect(inactive.keys).toEqual([]);
    expect(inactive.exemptedCount).toBe(0);
  });

  it('reuses the tags read for SCAN_CACHE_TTL_SECONDS, then reads them again; a failed read is not reused', async () => {
    sut = build([], 60_000);
    listUserTags.mockRejectedValueOnce(new IamException(IamErrorCode.Throttled, 'slow down'));

    await sut.inventory({ source: 'credential-report', includeExempted: true });
    await sut.inventory({ source: 'credential-report', includeExempted: true });
    expect(listUserTags.mock.calls.map(([userName]) => userName).sort()).toEqual(['both', 'both', 'idle']);

    listUserTags.mockClear();
    nowMs += 59_999;
    await sut.inventory({ source: 'credential-report', includeExempted: true });
    expect(listUserTags).not.toHaveBeenCalled();

    nowMs += 1;
    await sut.inventory({ source: 'credential-report', includeExempted: true });
    expect(listUserTags).toHaveBeenCalledTimes(2);
  });
});
