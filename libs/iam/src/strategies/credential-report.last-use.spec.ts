import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  type AccessKeyMetadata,
  type ListAccessKeysCommandInput,
} from '@aws-sdk/client-iam';
import { Logger } from '@nestjs/common';
import { mockClient } from 'aws-sdk-client-mock';
import { reportBytes, reportDate, type ReportRow } from '../../../../test/support/credential-report.builder';
import { IamClientProvider } from '../client/iam-client.provider';
import { HOUR_MS, type Clock } from '../iam.constants';
import { testIamConfig } from '../testing/iam-config.fixture';
import { CredentialReportStrategy } from './credential-report.strategy';

const iamMock = mockClient(IAMClient);
const NOW = Date.parse('2026-03-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW - h * HOUR_MS);
const config = testIamConfig();
const INVENTORY = { hours: 0, includeInactive: true, lastUse: true };

const slot = (n: 1 | 2, active: boolean, created: Date, used: Date | null, service = 's3', region = 'eu-west-1') => ({
  [`access_key_${n}_active`]: String(active),
  [`access_key_${n}_last_rotated`]: reportDate(created),
  [`access_key_${n}_last_used_date`]: used ? reportDate(used) : 'N/A',
  [`access_key_${n}_last_used_service`]: used ? service : 'N/A',
  [`access_key_${n}_last_used_region`]: used ? region : 'N/A',
});

const key = (userName: string, id: string, created: Date, status = 'Active'): AccessKeyMetadata => ({
  UserName: userName,
  AccessKeyId: id,
  CreateDate: created,
  Status: status as 'Active',
});

describe(`${CredentialReportStrategy.name} with last use`, () => {
  let provider: IamClientProvider;
  let accessKeys: Record<string, AccessKeyMetadata[]>;
  let sut: CredentialReportStrategy;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    iamMock.reset();
    const clock: Clock = { now: () => new Date(NOW) };
    provider = new IamClientProvider(config);
    sut = new CredentialReportStrategy(provider, config, clock, () => Promise.resolve());
    const rows: ReportRow[] = [
      { user: 'alice', ...slot(1, false, hoursAgo(3000), hoursAgo(2000)), ...slot(2, true, hoursAgo(1000), null) },
      { user: 'bob', ...slot(1, true, hoursAgo(4000), hoursAgo(1500), 'iam', 'us-east-1') },
      { user: '<root_account>', ...slot(1, true, hoursAgo(9000), hoursAgo(50), 'iam', 'no_information') },
    ] as ReportRow[];
    iamMock.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
    iamMock
      .on(GetCredentialReportCommand)
      .resolves({ Content: reportBytes(rows), ReportFormat: 'text/csv', GeneratedTime: hoursAgo(1) });
    accessKeys = {
      alice: [key('alice', 'AKIAALICE1', hoursAgo(3000), 'Inactive'), key('alice', 'AKIAALICE2', hoursAgo(1000))],
      bob: [key('bob', 'AKIABOB1', hoursAgo(4000))],
    };
    iamMock.on(ListAccessKeysCommand).callsFake((input: ListAccessKeysCommandInput) => ({
      AccessKeyMetadata: accessKeys[input.UserName ?? ''] ?? [],
    }));
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({ AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
  });

  afterEach(() => provider.onModuleDestroy());

  it("gives each key its own slot's last use, both slots, and the root keys theirs, with no GetAccessKeyLastUsed", async () => {
    const result = await sut.scan(INVENTORY);

    expect(result.keys.map((k) => [k.accessKeyId, k.lastUse])).toEqual([
      ['AKIABOB1', { lastUsedDate: hoursAgo(1500), lastUsedService: 'iam', lastUsedRegion: 'us-east-1' }],
      ['AKIAALICE1', { lastUsedDate: hoursAgo(2000), lastUsedService: 's3', lastUsedRegion: 'eu-west-1' }],
      ['AKIAALICE2', { lastUsedDate: null, lastUsedService: null, lastUsedRegion: null }],
    ]);
    expect(result.rootKeys.map((k) => k.lastUse)).toEqual([
      { lastUsedDate: hoursAgo(50), lastUsedService: 'iam', lastUsedRegion: null },
    ]);
    expect(iamMock).toHaveReceivedCommandTimes(GetAccessKeyLastUsedCommand, 0);
  });

  it("never gives a key rotated since the report the old key's last use: asks IAM for that key alone", async () => {
    accessKeys.bob = [key('bob', 'AKIABOBNEW', hoursAgo(0.5))];
    iamMock
      .on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIABOBNEW' })
      .resolves({ AccessKeyLastUsed: { LastUsedDate: hoursAgo(0.1), ServiceName: 'sts', Region: 'us-west-2' } });

    const result = await sut.scan(INVENTORY);

    expect(result.keys.find((k) => k.userName === 'bob')).toMatchObject({
      accessKeyId: 'AKIABOBNEW',
      lastUse: { lastUsedDate: hoursAgo(0.1), lastUsedService: 'sts', lastUsedRegion: 'us-west-2' },
    });
    expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand).map((c) => c.args[0].input.AccessKeyId)).toEqual([
      'AKIABOBNEW',
    ]);
  });

  it('reads no last use when the query does not ask for it', async () => {
    const result = await sut.scan({ hours: 0, includeInactive: true });

    expect(result.keys.every((k) => k.lastUse === undefined)).toBe(true);
    expect(result.rootKeys.every((k) => k.lastUse === undefined)).toBe(true);
  });
});
