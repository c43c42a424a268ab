import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  type ListAccessKeysCommandInput,
  type ListUsersCommandInput,
} from '@aws-sdk/client-iam';
import { Logger } from '@nestjs/common';
import { mockClient } from 'aws-sdk-client-mock';
import { IamClientProvider } from '../client/iam-client.provider';
import type { IamConfig } from '../config/iam.config';
import { HOUR_MS, type Clock } from '../iam.constants';
import type { ScanQuery } from '../iam.types';
import { reportBytes, reportDate, type ReportRow } from '../../../../test/support/credential-report.builder';
import { CredentialReportStrategy } from './credential-report.strategy';
import { ListUsersStrategy } from './list-users.strategy';
import { testIamConfig } from '../testing/iam-config.fixture';

const iamMock = mockClient(IAMClient);

const NOW = Date.parse('2026-03-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW - h * HOUR_MS);

interface AccountKey {
  id: string;
  createdHoursAgo: number;
  status: 'Active' | 'Inactive';
}

interface AccountUser {
  name: string;
  createdHoursAgo: number;
  keys: AccountKey[];
}

/** One account, seen through both APIs. Ages cover both sides of every threshold below. */
const ACCOUNT: AccountUser[] = [
  { name: 'alice', createdHoursAgo: 9000, keys: [{ id: 'AKIAALICE1', createdHoursAgo: 8000, status: 'Active' }] },
  {
    name: 'bob',
    createdHoursAgo: 5000,
    keys: [
      { id: 'AKIABOB1', createdHoursAgo: 1000, status: 'Inactive' },
      { id: 'AKIABOB2', createdHoursAgo: 24, status: 'Active' },
    ],
  },
  { name: 'carol', createdHoursAgo: 30, keys: [{ id: 'AKIACAROL1', createdHoursAgo: 0.5, status: 'Active' }] },
  { name: 'dave', createdHoursAgo: 2000, keys: [] },
  {
    name: 'erin',
    createdHoursAgo: 3000,
    keys: [
      { id: 'AKIAERIN2', createdHoursAgo: 100, status: 'Active' },
      { id: 'AKIAERIN1', createdHoursAgo: 100, status: 'Active' },
    ],
  },
  { name: 'frank', createdHoursAgo: 2, keys: [{ id: 'AKIAFRANK1', createdHoursAgo: 1, status: 'Inactive' }] },
  {
    name: 'grace',
    createdHoursAgo: 6000,
    keys: [
      { id: 'AKIAGRACE1', createdHoursAgo: 5000, status: 'Inactive' },
      { id: 'AKIAGRACE2', createdHoursAgo: 23.5, status: 'Inactive' },
    ],
  },
  { name: 'heidi', createdHoursAgo: 100, keys: [{ id: 'AKIAHEIDI1', createdHoursAgo: 99, status: 'Active' }] },
];

/** What ListUsers/ListAccessKeys would answer, and what GenerateCredentialReport would write, for ACCOUNT. */
function mockAccount(account: AccountUser[], pageSize: number): void {
  iamMock.on(ListUsersCommand).callsFake((input: ListUsersCommandInput) => {
    const start = Number(input.Marker ?? 0);
    const end = start + pageSize;
    const truncated = end < account.length;
    return {
      Users: account.slice(start, end).map((u) => ({
        UserName: u.name,
        CreateDate: hoursAgo(u.createdHoursAgo),
        Path: '/',
        UserId: u.name,
        Arn: u.name,
      })),
      IsTruncated: truncated,
      Marker: truncated ? String(end) : undefined,
    };
  });
  iamMock.on(ListAccessKeysCommand).callsFake((input: ListAccessKeysCommandInput) => ({
    AccessKeyMetadata: (account.find((u) => u.name === input.UserName)?.keys ?? []).map((k) => ({
      UserName: input.UserName,
      AccessKeyId: k.id,
      CreateDate: hoursAgo(k.createdHoursAgo),
      Status: k.status,
    })),
  }));
  iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  iamMock.on(GetCredentialReportCommand).resolves({
    Content: reportBytes([
      {
        user: '<root_account>',
        user_creation_time: reportDate(hoursAgo(20_000)),
        access_key_1_active: 'true',
        access_key_1_last_rotated: reportDate(hoursAgo(10_000)),
      },
      ...account.map(toReportRow),
    ]),
    GeneratedTime: hoursAgo(0.25),
  });
}

function toReportRow(user: AccountUser): ReportRow {
  const row: ReportRow = { user: user.name, user_creation_time: reportDate(hoursAgo(user.createdHoursAgo)) };
  user.keys.forEach((k, i) => {
    const slot = i === 0 ? 'access_key_1' : 'access_key_2';
    row[`${slot}_active`] = k.status === 'Active' ? 'true' : 'false';
    row[`${slot}_last_rotated`] = reportDate(hoursAgo(k.createdHoursAgo));
  });
  return row;
}

/** The answer straight from the model, as sorted key ids. */
function expectedIds(query: ScanQuery): string[] {
  return ACCOUNT.flatMap((u) => u.keys.map((k) => ({ user: u.name, ...k })))
    .filter((k) => k.createdHoursAgo >= query.hours && (query.includeInactive || k.status === 'Active'))
    .sort((a, b) => b.createdHoursAgo - a.createdHoursAgo || a.user.localeCompare(b.user) || a.id.localeCompare(b.id))
    .map((k) => k.id);
}

const config: IamConfig = testIamConfig({ concurrency: 2 });

const QUERIES: ScanQuery[] = [0, 1, 24, 100, 1000, 5000, 100_000].flatMap((hours) => [
  { hours, includeInactive: false },
  { hours, includeInactive: true },
]);

describe('ListUsersStrategy and CredentialReportStrategy', () => {
  let provider: IamClientProvider;
  let sut: { listUsers: ListUsersStrategy; credentialReport: CredentialReportStrategy };

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    iamMock.reset();
    mockAccount(ACCOUNT, 3);
    const clock: Clock = { now: () => new Date(NOW) };
    provider = new IamClientProvider(config);
    sut = {
      listUsers: new ListUsersStrategy(provider, config, clock),
      credentialReport: new CredentialReportStrategy(provider, config, clock, () => Promise.resolve()),
    };
  });

  afterEach(async () => {
    await provider.onModuleDestroy();
  });

  it.each(QUERIES)('find the same IAM user keys for %j', async (query) => {
    const live = await sut.listUsers.scan(query);
    const fromReport = await sut.credentialReport.scan(query);

    expect(fromReport.keys).toEqual(live.keys);
    expect(live.keys.map((k) => k.accessKeyId)).toEqual(expectedIds(query));
    expect(fromReport.stats.usersSeen).toBe(live.stats.usersSeen);
  });

  it('differ only in what the report alone can see: the root account key', async () => {
    const live = await sut.listUsers.scan({ hours: 24, includeInactive: false });
    const fromReport = await sut.credentialReport.scan({ hours: 24, includeInactive: false });

    expect(live.rootKeys).toEqual([]);
    expect(fromReport.rootKeys).toEqual([{ slot: 1, active: true, lastRotated: hoursAgo(10_000), ageHours: 10_000 }]);
  });

  it('the report looks up fewer users than the live scan', async () => {
    await sut.listUsers.scan({ hours: 1000, includeInactive: false });
    const liveLookups = iamMock.commandCalls(ListAccessKeysCommand).length;
    iamMock.resetHistory();

    await sut.credentialReport.scan({ hours: 1000, includeInactive: false });
    const reportLookups = iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input.UserName);

    expect(liveLookups).toBe(5);
    expect(reportLookups).toEqual(['alice']);
  });
});
