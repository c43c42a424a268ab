import { Test } from '@nestjs/testing';
import { ConfigModule } from '@nestjs/config';
import { EnvValidationError } from '@app/platform';
import { loadNotifierConfig, notifierConfig } from './notifier.config';
import { partitionForRegion, securityCredentialsUrl } from './partition';

const required = { NOTIFIER_SENDER: 'Key Monitor <keys@example.com>', NOTIFIER_FALLBACK_RECIPIENTS: 'sec@example.com' };

describe('notifierConfig', () => {
  let sut: typeof loadNotifierConfig;
  let saved: NodeJS.ProcessEnv;

  beforeEach(() => {
    sut = loadNotifierConfig;
    saved = { ...process.env };
  });

  afterEach(() => {
    process.env = saved;
  });

  it('applies the defaults', () => {
    expect(sut(required)).toEqual({
      warnAgeDays: 15,
      finalAgeDays: 18,
      expireAgeDays: 20,
      remindEveryDays: 7,
      includeInactive: false,
      ownerTagKey: 'email',
      fallbackRecipients: ['sec@example.com'],
      sender: 'Key Monitor <keys@example.com>',
      accountLabel: undefined,
      driver: 'ses',
      dryRunDir: undefined,
      partition: 'aws',
      ses: {
        region: 'us-east-1',
        endpoint: undefined,
        concurrency: 4,
        maxPerSecond: 10,
        maxAttempts: 3,
        throttleRetries: 6,
        retryBaseMs: 500,
        requestTimeoutMs: 10_000,
        connectionTimeoutMs: 3_000,
      },
    });
  });

  it('reads every variable', () => {
    const config = sut({
      ...required,
      NOTIFIER_WARN_AGE_DAYS: '7',
      NOTIFIER_EXPIRE_AGE_DAYS: '10',
      NOTIFIER_INCLUDE_INACTIVE: 'true',
      NOTIFIER_OWNER_TAG_KEY: 'owner:email',
      NOTIFIER_FALLBACK_RECIPIENTS: 'a@example.com, b@example.com,a@example.com',
      NOTIFIER_DRY_RUN_DIR: '/tmp/out',
      NOTIFIER_ACCOUNT_LABEL: 'prod',
      NOTIFIER_SES_MAX_PER_SECOND: '2.5',
      AWS_REGION: 'cn-north-1',
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      AWS_ENDPOINT_URL_SESV2: 'http://localhost:9000',
    });
    expect(config).toMatchObject({
      warnAgeDays: 7,
      expireAgeDays: 10,
      includeInactive: true,
      ownerTagKey: 'owner:email',
      fallbackRecipients: ['a@example.com', 'b@example.com'],
      driver: 'dry-run',
      dryRunDir: '/tmp/out',
      accountLabel: 'prod',
      partition: 'aws-cn',
      ses: { region: 'cn-north-1', endpoint: 'http://localhost:9000', maxPerSecond: 2.5 },
    });
  });

  it('puts the final warning two days before the expiry by default, one day after the warning when closer, or where set', () => {
    expect(sut(required)).toMatchObject({ warnAgeDays: 15, finalAgeDays: 18, expireAgeDays: 20, remindEveryDays: 7 });
    expect(sut({ ...required, NOTIFIER_WARN_AGE_DAYS: '18' }).finalAgeDays).toBe(19);
    expect(sut({ ...required, NOTIFIER_FINAL_AGE_DAYS: '16', NOTIFIER_REMIND_EVERY_DAYS: '3' })).toMatchObject({
      finalAgeDays: 16,
      remindEveryDays: 3,
    });
  });

  it('lets NOTIFIER_PARTITION override the region', () => {
    expect(sut({ ...required, AWS_REGION: 'eu-west-1', NOTIFIER_PARTITION: 'aws-us-gov' }).partition).toBe(
      'aws-us-gov',
    );
  });

  it.each([
    [
      { NOTIFIER_WARN_AGE_DAYS: '20' },
      /NOTIFIER_WARN_AGE_DAYS \(20\): NOTIFIER_WARN_AGE_DAYS must be below NOTIFIER_EXPIRE_AGE_DAYS \(20\)/,
    ],
    [
      { NOTIFIER_WARN_AGE_DAYS: '30', NOTIFIER_EXPIRE_AGE_DAYS: '10' },
      /NOTIFIER_WARN_AGE_DAYS \(30\).*must be below NOTIFIER_EXPIRE_AGE_DAYS/,
    ],
    [{ NOTIFIER_EXPIRE_AGE_DAYS: 'twenty' }, /NOTIFIER_EXPIRE_AGE_DAYS \("twenty"\)/],
    [{ NOTIFIER_FALLBACK_RECIPIENTS: 'security-team' }, /NOTIFIER_FALLBACK_RECIPIENTS .*valid email/],
    [{ NOTIFIER_FALLBACK_RECIPIENTS: undefined }, /NOTIFIER_FALLBACK_RECIPIENTS \(unset\)/],
    [{ NOTIFIER_SENDER: undefined }, /NOTIFIER_SENDER \(unset\)/],
    [{ NOTIFIER_PARTITION: 'aws-iso' }, /NOTIFIER_PARTITION/],
    [{ NOTIFIER_SES_MAX_PER_SECOND: '0' }, /NOTIFIER_SES_MAX_PER_SECOND/],
    [{ NOTIFIER_INCLUDE_INACTIVE: 'maybe' }, /NOTIFIER_INCLUDE_INACTIVE/],
    [
      { NOTIFIER_FINAL_AGE_DAYS: '15' },
      /NOTIFIER_FINAL_AGE_DAYS \(15\): NOTIFIER_FINAL_AGE_DAYS must be above NOTIFIER_WARN_AGE_DAYS \(15\)/,
    ],
    [
      { NOTIFIER_FINAL_AGE_DAYS: '20' },
      /NOTIFIER_FINAL_AGE_DAYS \(20\): NOTIFIER_FINAL_AGE_DAYS must be below NOTIFIER_EXPIRE_AGE_DAYS \(20\)/,
    ],
    [{ NOTIFIER_FINAL_AGE_DAYS: 'soon' }, /NOTIFIER_FINAL_AGE_DAYS \("soon"\)/],
    [
      { NOTIFIER_WARN_AGE_DAYS: '19' },
      /NOTIFIER_FINAL_AGE_DAYS \(unset\) needs a day strictly between NOTIFIER_WARN_AGE_DAYS and NOTIFIER_EXPIRE_AGE_DAYS/,
    ],
    [{ NOTIFIER_REMIND_EVERY_DAYS: '0' }, /NOTIFIER_REMIND_EVERY_DAYS \(0\)/],
  ])('rejects %j naming the variable', (bad, message) => {
    expect(() => sut({ ...required, ...bad })).toThrow(EnvValidationError);
    expect(() => sut({ ...required, ...bad })).toThrow(message);
  });

  it('stops the module from booting when a value is bad', async () => {
    process.env = { ...saved, ...required, NOTIFIER_WARN_AGE_DAYS: '25' };

    await expect(
      Test.createTestingModule({ imports: [ConfigModule.forFeature(notifierConfig)] }).compile(),
    ).rejects.toThrow(/NOTIFIER_WARN_AGE_DAYS \(25\)/);
  });
});

describe(securityCredentialsUrl.name, () => {
  it.each([
    ['aws', 'https://console.aws.amazon.com/iam/home#/users/details/'],
    ['aws-cn', 'https://console.amazonaws.cn/iam/home#/users/details/'],
    ['aws-us-gov', 'https://console.amazonaws-us-gov.com/iam/home#/users/details/'],
  ] as const)('links %s to its console with the name url-encoded', (partition, prefix) => {
    expect(securityCredentialsUrl(partition, 'a+b=c,d.e@f_g-h')).toBe(
      `${prefix}a%2Bb%3Dc%2Cd.e%40f_g-h?section=security_credentials`,
    );
  });

  it.each([
    ['us-east-1', 'aws'],
    ['eu-central-2', 'aws'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('derives the partition of %s', (region, partition) => {
    expect(partitionForRegion(region)).toBe(partition);
  });
});
