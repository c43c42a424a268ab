import type { Server } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AccountsErrorCode, AccountsException } from '@app/accounts';
import {
  IamErrorCode,
  IAM_CLOCK,
  IamException,
  OldKeysService,
  OrganizationScanService,
  type AccountOutcome,
  type OrganizationScanResult,
} from '@app/iam';
import { createValidationPipe, RequestBodyGuard } from '@app/platform';
import { ApiExceptionFilter } from '../http/api-exception.filter';
import { PreparedAnswers } from '../http/prepared-answers';
import { API_APP_OPTIONS, configureApp } from '../configure-app';
import { OldKeysController } from './old-keys.controller';

const LIST = '/v1/iam/old-access-keys/list-users';
const REPORT = '/v1/iam/old-access-keys/credential-report';

const OWN = '111111111111';
const MEMBER = '222222222222';
const STATS = {
  usersSeen: 1,
  usersSkippedYoung: 0,
  usersVanished: 0,
  callsByAction: {},
  throttles: 0,
  retries: 0,
  peakInFlight: 1,
  durationMs: 1,
};
const OK: AccountOutcome = {
  accountId: OWN,
  status: 'ok',
  dataReadAt: new Date('2026-11-23T10:00:00.000Z'),
  keyCount: 1,
  stats: STATS,
};
const DENIED: AccountOutcome = {
  accountId: MEMBER,
  accountName: 'payments',
  status: 'failed',
  code: 'ACCOUNT_ACCESS_DENIED',
  action: 'AssumeRole',
  message: `AssumeRole of IamKeyMonitorReadOnly in account ${MEMBER} was denied`,
};

function result(overrides: Partial<OrganizationScanResult> = {}): OrganizationScanResult {
  return {
    source: 'list-users',
    query: { hours: 24, includeInactive: false },
    keys: [
      {
        accountId: OWN,
        userName: 'alice',
        accessKeyId: 'AKIAAAAAAAAAAAAAAAA1',
        createdDate: new Date('2025-01-02T03:04:05.000Z'),
        status: 'Active',
        ageHours: 1234.5,
      },
    ],
    rootKeys: [],
    accounts: [OK],
    complete: true,
    dataReadAt: new Date('2026-11-23T10:00:00.000Z'),
    ...overrides,
  };
}

describe(OldKeysController.name, () => {
  let app: INestApplication;
  let http: Server;
  let oldKeys: jest.Mocked<Pick<OrganizationScanService, 'scan'>>;

  beforeEach(async () => {
    oldKeys = { scan: jest.fn() };
    oldKeys.scan.mockImplementation((source, query) => Promise.resolve(result({ source, query })));
    const moduleRef = await Test.createTestingModule({
      controllers: [OldKeysController],
      providers: [
        { provide: OrganizationScanService, useValue: oldKeys },
        // Every answer stale at once: each request scans, as these specs count.
        {
          provide: OldKeysService,
          useValue: {
            withFreshness: async (build: () => Promise<unknown>) => ({ value: await build(), validUntilMs: 0 }),
          },
        },
        { provide: IAM_CLOCK, useValue: { now: () => new Date() } },
        PreparedAnswers,
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_GUARD, useClass: RequestBodyGuard },
      ],
    }).compile();
    app = configureApp(moduleRef.createNestApplication({ ...API_APP_OPTIONS, logger: false }));
    await app.init();
    http = app.getHttpServer() as Server;
  });

  afterEach(() => app.close());

  describe('GET list-users', () => {
    it('scans with the parsed query and answers the documented shape', async () => {
      const res = await request(http).get(`${LIST}?hours=24`).expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith(
        'list-users',
        { hours: 24, includeInactive: false },
        { accountIds: undefined },
      );
      expect(res.body).toEqual({
        old_access_keys: [
          {
            account_id: OWN,
            user_name: 'alice',
            access_key_id: 'AKIAAAAAAAAAAAAAAAA1',
            created_date: '2025-01-02T03:04:05.000Z',
            status: 'Active',
            age_hours: 1234.5,
          },
        ],
        root_access_keys: [],
        count: 1,
        source: 'list-users',
        hours: 24,
        include_inactive: false,
        data_read_at: '2026-11-23T10:00:00.000Z',
        complete: true,
        accounts: [{ account_id: OWN, status: 'ok', data_read_at: '2026-11-23T10:00:00.000Z', key_count: 1 }],
      });
    });

    it.each([
      ['one account_id', `account_id=${MEMBER}`, [MEMBER]],
      ['a repeated account_id', `account_id=${MEMBER}&account_id=${OWN}`, [MEMBER, OWN]],
    ])('narrows to %s', async (_label, qs, accountIds) => {
      await request(http).get(`${LIST}?hours=1&${qs}`).expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith('list-users', { hours: 1, includeInactive: false }, { accountIds });
    });

    it.each(['12345', 'abcdefghijkl', '1234567890123', ''])(
      'rejects account_id=%s with 400 naming the field',
      async (raw) => {
        const res = await request(http).get(`${LIST}?hours=1&account_id=${OWN}&account_id=${raw}`).expect(400);
        expect(res.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          code: 'VALIDATION_FAILED',
          message: 'each account_id must be a 12-digit AWS account id',
          fields: [{ field: 'account_id', messages: ['each account_id must be a 12-digit AWS account id'] }],
        });
        expect(oldKeys.scan).not.toHaveBeenCalled();
      },
    );

    it.each(['yes', '1', ''])('rejects allow_partial=%s', async (raw) => {
      const res = await request(http).get(`${LIST}?hours=1&allow_partial=${raw}`).expect(400);
      expect(res.body.fields).toEqual([{ field: 'allow_partial', messages: ['allow_partial must be true or false'] }]);
    });

    it.each([
      ['0', 0],
      ['876000', 876000],
    ])('accepts hours=%s', async (raw, parsed) => {
      await request(http).get(`${LIST}?hours=${raw}`).expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith(
        'list-users',
        { hours: parsed, includeInactive: false },
        { accountIds: undefined },
      );
    });

    it.each([
      ['true', true],
      ['false', false],
    ])('accepts include_inactive=%s', async (raw, parsed) => {
      await request(http).get(`${LIST}?hours=1&include_inactive=${raw}`).expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith(
        'list-users',
        { hours: 1, includeInactive: parsed },
        { accountIds: undefined },
      );
    });

    it.each([
      ['abc', 'hours=abc'],
      ['1.5', 'hours=1.5'],
      ['-1', 'hours=-1'],
      ['empty', 'hours='],
      ['1e3', 'hours=1e3'],
      ['an array', 'hours=1&hours=2'],
      ['above the maximum', 'hours=876001'],
      ['huge', 'hours=99999999999999999999'],
      ['hex', 'hours=0x10'],
    ])('rejects hours %s with 400 naming the field', async (_label, qs) => {
      const res = await request(http).get(`${LIST}?${qs}`).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: 'hours must be an integer from 0 to 876000',
        fields: [{ field: 'hours', messages: ['hours must be an integer from 0 to 876000'] }],
      });
      expect(oldKeys.scan).not.toHaveBeenCalled();
    });

    it('says hours is required when it is missing, and nothing else', async () => {
      const res = await request(http).get(LIST).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: 'hours is required',
        fields: [{ field: 'hours', messages: ['hours is required'] }],
      });
    });

    it.each(['yes', '1', 'TRUE', ''])('rejects include_inactive=%s', async (raw) => {
      const res = await request(http).get(`${LIST}?hours=1&include_inactive=${raw}`).expect(400);
      expect(res.body.fields).toEqual([
        { field: 'include_inactive', messages: ['include_inactive must be true or false'] },
      ]);
    });

    it('rejects unknown query parameters, naming them', async () => {
      const res = await request(http).get(`${LIST}?hours=1&hour=2`).expect(400);
      expect(res.body.fields).toEqual([{ field: 'hour', messages: ['property hour should not exist'] }]);
    });

    it('answers 404 for an unversioned path', async () => {
      await request(http).get('/iam/old-access-keys/list-users?hours=1').expect(404);
    });
  });

  describe('POST credential-report', () => {
    it('scans with the parsed body and answers 200 with report time', async () => {
      const generated = new Date('2026-11-23T09:00:00.000Z');
      const older = new Date('2026-11-23T07:00:00.000Z');
      oldKeys.scan.mockResolvedValue(
        result({
          source: 'credential-report',
          query: { hours: 48, includeInactive: true },
          dataReadAt: older,
          accounts: [
            { ...OK, dataReadAt: generated, reportGeneratedAt: generated },
            { ...OK, accountId: MEMBER, accountName: 'payments', dataReadAt: older, reportGeneratedAt: older },
          ],
          rootKeys: [
            {
              accountId: MEMBER,
              accountName: 'payments',
              slot: 1,
              active: true,
              lastRotated: new Date('2019-01-01T00:00:00.000Z'),
              ageHours: 68000,
            },
          ],
        }),
      );
      const res = await request(http)
        .post(REPORT)
        .send({ hours: 48, include_inactive: true, account_id: [OWN, MEMBER] })
        .expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith(
        'credential-report',
        { hours: 48, includeInactive: true },
        { accountIds: [OWN, MEMBER] },
      );
      expect(res.body).toMatchObject({
        source: 'credential-report',
        report_generated_at: '2026-11-23T07:00:00.000Z',
        data_read_at: '2026-11-23T07:00:00.000Z',
        root_access_keys: [
          {
            account_id: MEMBER,
            account_name: 'payments',
            slot: 1,
            active: true,
            last_rotated: '2019-01-01T00:00:00.000Z',
            age_hours: 68000,
          },
        ],
        include_inactive: true,
        complete: true,
      });
      expect(res.body.accounts).toEqual([
        {
          account_id: OWN,
          status: 'ok',
          data_read_at: '2026-11-23T09:00:00.000Z',
          report_generated_at: '2026-11-23T09:00:00.000Z',
          key_count: 1,
        },
        {
          account_id: MEMBER,
          account_name: 'payments',
          status: 'ok',
          data_read_at: '2026-11-23T07:00:00.000Z',
          report_generated_at: '2026-11-23T07:00:00.000Z',
          key_count: 1,
        },
      ]);
    });

    it.each([
      ['a string', { hours: 1, account_id: OWN }, 'account_id must be an array of 12-digit AWS account ids'],
      ['a short id', { hours: 1, account_id: [OWN, '1234'] }, 'each account_id must be a 12-digit AWS account id'],
      ['a number', { hours: 1, account_id: [111111111111] }, 'each account_id must be a 12-digit AWS account id'],
    ])('rejects account_id as %s with 400 naming the field', async (_label, body, message) => {
      const res = await request(http).post(REPORT).send(body).expect(400);
      expect(res.body.fields).toEqual([{ field: 'account_id', messages: [message] }]);
      expect(oldKeys.scan).not.toHaveBeenCalled();
    });

    it('rejects a non-boolean allow_partial', async () => {
      const res = await request(http).post(REPORT).send({ hours: 1, allow_partial: 'true' }).expect(400);
      expect(res.body.fields).toEqual([{ field: 'allow_partial', messages: ['allow_partial must be a JSON boolean'] }]);
    });

    it.each([
      ['a string', { hours: '24' }],
      ['abc', { hours: 'abc' }],
      ['1.5', { hours: 1.5 }],
      ['-1', { hours: -1 }],
      ['empty string', { hours: '' }],
      ['"1e3"', { hours: '1e3' }],
      ['an array', { hours: [1, 2] }],
      ['above the maximum', { hours: 876001 }],
    ])('rejects hours %s with 400 naming the field', async (_label, body) => {
      const res = await request(http).post(REPORT).send(body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.fields).toEqual([{ field: 'hours', messages: ['hours must be an integer from 0 to 876000'] }]);
      expect(oldKeys.scan).not.toHaveBeenCalled();
    });

    it.each([
      ['missing', {}],
      ['null', { hours: null }],
    ])('says hours is required when it is %s', async (_label, body) => {
      const res = await request(http).post(REPORT).send(body).expect(400);
      expect(res.body.fields).toEqual([{ field: 'hours', messages: ['hours is required'] }]);
      expect(oldKeys.scan).not.toHaveBeenCalled();
    });

    it('rejects a non-boolean include_inactive', async () => {
      const res = await request(http).post(REPORT).send({ hours: 1, include_inactive: 'true' }).expect(400);
      expect(res.body.fields).toEqual([
        { field: 'include_inactive', messages: ['include_inactive must be a JSON boolean'] },
      ]);
    });

    it('rejects unknown body fields, naming them', async () => {
      const res = await request(http).post(REPORT).send({ hours: 1, hourz: 2 }).expect(400);
      expect(res.body.fields).toEqual([{ field: 'hourz', messages: ['property hourz should not exist'] }]);
    });

    it('rejects a malformed JSON body', async () => {
      const res = await request(http)
        .post(REPORT)
        .set('Content-Type', 'application/json')
        .send('{"hours": 1')
        .expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: 'body must be valid JSON',
        fields: [{ field: 'body', messages: ['body must be valid JSON'] }],
      });
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded'])('rejects content type %s', async (type) => {
      const res = await request(http).post(REPORT).set('Content-Type', type).send('hours=1').expect(400);
      expect(res.body.fields).toEqual([
        { field: 'Content-Type', messages: ['Content-Type must be application/json with a JSON object body'] },
      ]);
      expect(oldKeys.scan).not.toHaveBeenCalled();
    });

    it('rejects a JSON array body', async () => {
      const res = await request(http)
        .post(REPORT)
        .send([{ hours: 1 }])
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('accounts that failed', () => {
    const partial = () =>
      result({
        accounts: [OK, DENIED, { accountId: '333333333333', status: 'skipped', reason: 'SUSPENDED' }],
        complete: false,
      });
    const accounts = [
      { account_id: OWN, status: 'ok', data_read_at: '2026-11-23T10:00:00.000Z', key_count: 1 },
      {
        account_id: MEMBER,
        account_name: 'payments',
        status: 'failed',
        code: 'ACCOUNT_ACCESS_DENIED',
        action: 'AssumeRole',
        message: `AssumeRole of IamKeyMonitorReadOnly in account ${MEMBER} was denied`,
      },
      { account_id: '333333333333', status: 'skipped', reason: 'SUSPENDED' },
    ];

    it.each([
      ['GET', () => request(http).get(`${LIST}?hours=1`)],
      ['POST', () => request(http).post(REPORT).send({ hours: 1 })],
    ])('%s answers 502 ACCOUNTS_FAILED listing every account, never a silent partial answer', async (_m, send) => {
      oldKeys.scan.mockResolvedValue(partial());
      const res = await send().expect(502);
      expect(res.body).toEqual({
        statusCode: 502,
        error: 'Bad Gateway',
        code: 'ACCOUNTS_FAILED',
        message: `1 of 2 accounts could not be scanned (${MEMBER}); see accounts, or ask with allow_partial=true for the others`,
        accounts,
      });
    });

    it.each([
      ['GET', () => request(http).get(`${LIST}?hours=1&allow_partial=true`)],
      ['POST', () => request(http).post(REPORT).send({ hours: 1, allow_partial: true })],
    ])('%s with allow_partial answers 200, complete: false, the failure listed', async (_m, send) => {
      oldKeys.scan.mockResolvedValue(partial());
      const res = await send().expect(200);
      expect(res.body).toMatchObject({ complete: false, accounts, count: 1 });
    });

    it('answers the one account scanned with its own error (status, code, Retry-After), the accounts listed', async () => {
      oldKeys.scan.mockResolvedValue(
        result({
          keys: [],
          complete: false,
          accounts: [
            {
              accountId: OWN,
              status: 'failed',
              code: 'IAM_THROTTLED',
              action: 'ListUsers',
              message: 'IAM kept throttling ListUsers beyond the retry budget',
              retryAfterSeconds: 30,
            },
            { accountId: '333333333333', status: 'skipped', reason: 'SUSPENDED' },
          ],
        }),
      );
      const res = await request(http).get(`${LIST}?hours=1`).expect(503);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'IAM_THROTTLED',
        message: 'IAM kept throttling ListUsers beyond the retry budget',
        action: 'ListUsers',
        retry_after_seconds: 30,
        accounts: [
          {
            account_id: OWN,
            status: 'failed',
            code: 'IAM_THROTTLED',
            action: 'ListUsers',
            message: 'IAM kept throttling ListUsers beyond the retry budget',
            retry_after_seconds: 30,
          },
          { account_id: '333333333333', status: 'skipped', reason: 'SUSPENDED' },
        ],
      });
    });

    it('answers the one account whose AssumeRole was denied 502 ACCOUNT_ACCESS_DENIED naming AssumeRole', async () => {
      oldKeys.scan.mockResolvedValue(result({ keys: [], complete: false, accounts: [DENIED] }));
      const res = await request(http)
        .post(REPORT)
        .send({ hours: 1, account_id: [MEMBER] })
        .expect(502);
      expect(res.body).toMatchObject({ code: 'ACCOUNT_ACCESS_DENIED', action: 'AssumeRole', message: DENIED.message });
    });

    it('answers allow_partial=false like no allow_partial', async () => {
      oldKeys.scan.mockResolvedValue(partial());
      await request(http).get(`${LIST}?hours=1&allow_partial=false`).expect(502);
    });

    it('answers an account outside the configured ones 400 naming account_id', async () => {
      const message = 'account 999999999999 is not among the configured accounts';
      oldKeys.scan.mockRejectedValue(
        new IamException(IamErrorCode.AccountNotConfigured, message, { accountId: '999999999999' }),
      );
      const res = await request(http).get(`${LIST}?hours=1&account_id=999999999999`).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'ACCOUNT_NOT_CONFIGURED',
        message,
        fields: [{ field: 'account_id', messages: [message] }],
      });
    });

    it.each([
      [AccountsErrorCode.OrganizationsAccessDenied, 'ListAccounts', 502, undefined],
      [AccountsErrorCode.OrganizationsParentNotFound, 'ListChildren', 502, undefined],
      [AccountsErrorCode.CallerIdentityUnavailable, 'GetCallerIdentity', 502, undefined],
      [AccountsErrorCode.OrganizationsUnavailable, 'ListAccounts', 503, '30'],
    ])(
      'answers an account list that cannot be read (%s) %d, never an empty answer',
      async (code, action, status, retry) => {
        oldKeys.scan.mockRejectedValue(new AccountsException(code, `the account list failed (${code})`, { action }));
        const res = await request(http).get(`${LIST}?hours=1`).expect(status);
        expect(res.body).toMatchObject({
          statusCode: status,
          code,
          action,
          message: `the account list failed (${code})`,
        });
        expect(res.headers['retry-after']).toBe(retry);
      },
    );
  });

  describe('IAM failures', () => {
    it('maps AccessDenied to 502 naming the action', async () => {
      oldKeys.scan.mockRejectedValue(
        new IamException(IamErrorCode.AccessDenied, "IAM denied ListAccessKeys to the service's credentials", {
          action: 'ListAccessKeys',
          awsErrorName: 'AccessDenied',
          cause: new Error('User: arn:aws:sts::123456789012:assumed-role/x is not authorized'),
        }),
      );
      const res = await request(http).get(`${LIST}?hours=1`).expect(502);
      expect(res.body).toEqual({
        statusCode: 502,
        error: 'Bad Gateway',
        code: 'IAM_ACCESS_DENIED',
        message: "IAM denied ListAccessKeys to the service's credentials",
        action: 'ListAccessKeys',
      });
      expect(JSON.stringify(res.body)).not.toContain('arn:aws');
    });

    it('maps throttling to 503 with Retry-After', async () => {
      oldKeys.scan.mockRejectedValue(
        new IamException(IamErrorCode.Throttled, 'IAM kept throttling', { action: 'ListUsers', retryAfterSeconds: 30 }),
      );
      const res = await request(http).get(`${LIST}?hours=1`).expect(503);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.body).toMatchObject({ code: 'IAM_THROTTLED', retry_after_seconds: 30, action: 'ListUsers' });
    });

    it('maps a report still not ready to 503 with Retry-After', async () => {
      oldKeys.scan.mockRejectedValue(
        new IamException(IamErrorCode.ReportNotReady, 'not ready', {
          action: 'GetCredentialReport',
          retryAfterSeconds: 15,
        }),
      );
      const res = await request(http).post(REPORT).send({ hours: 1 }).expect(503);
      expect(res.headers['retry-after']).toBe('15');
      expect(res.body.code).toBe('IAM_REPORT_NOT_READY');
    });

    it('maps a timeout to 504', async () => {
      oldKeys.scan.mockRejectedValue(new IamException(IamErrorCode.Timeout, 'IAM did not answer ListUsers in time'));
      const res = await request(http).get(`${LIST}?hours=1`).expect(504);
      expect(res.body.code).toBe('IAM_TIMEOUT');
    });

    it('answers anything unexpected with a generic 500 and an error id, no stack', async () => {
      const secret = new Error('boom at /srv/app/secret.ts:12 AWS_SECRET_ACCESS_KEY=abc');
      oldKeys.scan.mockRejectedValue(secret);
      const res = await request(http).get(`${LIST}?hours=1`).expect(500);
      expect(res.body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        code: 'INTERNAL_ERROR',
        message: 'An unexpected error occurred; quote the error id to the operators',
        error_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(JSON.stringify(res.body)).not.toMatch(/boom|secret|at \//);
    });
  });
});
