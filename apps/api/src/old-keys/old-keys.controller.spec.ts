import type { Server } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { IamErrorCode, IamException, OldKeysService, type ScanResult } from '@app/iam';
import { createValidationPipe, RequestBodyGuard } from '@app/platform';
import { ApiExceptionFilter } from '../http/api-exception.filter';
import { API_APP_OPTIONS, configureApp } from '../configure-app';
import { OldKeysController } from './old-keys.controller';

const LIST = '/v1/iam/old-access-keys/list-users';
const REPORT = '/v1/iam/old-access-keys/credential-report';

function result(overrides: Partial<ScanResult> = {}): ScanResult {
  return {
    source: 'list-users',
    keys: [
      {
        userName: 'alice',
        accessKeyId: 'AKIAAAAAAAAAAAAAAAA1',
        createdDate: new Date('2025-01-02T03:04:05.000Z'),
        status: 'Active',
        ageHours: 1234.5,
      },
    ],
    rootKeys: [],
    dataReadAt: new Date('2026-11-23T10:00:00.000Z'),
    stats: {
      usersSeen: 1,
      usersSkippedYoung: 0,
      usersVanished: 0,
      callsByAction: {},
      throttles: 0,
      retries: 0,
      peakInFlight: 1,
      durationMs: 1,
    },
    ...overrides,
  };
}

describe(OldKeysController.name, () => {
  let app: INestApplication;
  let http: Server;
  let oldKeys: jest.Mocked<Pick<OldKeysService, 'scan'>>;

  beforeEach(async () => {
    oldKeys = { scan: jest.fn() };
    const moduleRef = await Test.createTestingModule({
      controllers: [OldKeysController],
      providers: [
        { provide: OldKeysService, useValue: oldKeys },
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
      oldKeys.scan.mockResolvedValue(result());
      const res = await request(http).get(`${LIST}?hours=24`).expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith('list-users', { hours: 24, includeInactive: false });
      expect(res.body).toEqual({
        old_access_keys: [
          {
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
      });
    });

    it.each([
      ['0', 0],
      ['876000', 876000],
    ])('accepts hours=%s', async (raw, parsed) => {
      oldKeys.scan.mockResolvedValue(result());
      await request(http).get(`${LIST}?hours=${raw}`).expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith('list-users', { hours: parsed, includeInactive: false });
    });

    it.each([
      ['true', true],
      ['false', false],
    ])('accepts include_inactive=%s', async (raw, parsed) => {
      oldKeys.scan.mockResolvedValue(result());
      await request(http).get(`${LIST}?hours=1&include_inactive=${raw}`).expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith('list-users', { hours: 1, includeInactive: parsed });
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
      oldKeys.scan.mockResolvedValue(
        result({
          source: 'credential-report',
          dataReadAt: generated,
          reportGeneratedAt: generated,
          rootKeys: [{ slot: 1, active: true, lastRotated: new Date('2019-01-01T00:00:00.000Z'), ageHours: 68000 }],
        }),
      );
      const res = await request(http).post(REPORT).send({ hours: 48, include_inactive: true }).expect(200);
      expect(oldKeys.scan).toHaveBeenCalledWith('credential-report', { hours: 48, includeInactive: true });
      expect(res.body).toMatchObject({
        source: 'credential-report',
        report_generated_at: '2026-11-23T09:00:00.000Z',
        data_read_at: '2026-11-23T09:00:00.000Z',
        root_access_keys: [{ slot: 1, active: true, last_rotated: '2019-01-01T00:00:00.000Z', age_hours: 68000 }],
        include_inactive: true,
      });
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
