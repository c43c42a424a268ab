import type { Server } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { InventoryResult } from '@app/findings';
import { StoredInventoryService } from '@app/scans';
import { InventoryChangeFeed } from '@app/store';
import { IAM_CLOCK, type AccountOutcome } from '@app/iam';
import { createValidationPipe, RequestBodyGuard } from '@app/platform';
import { API_APP_OPTIONS, configureApp } from '../configure-app';
import { ApiExceptionFilter } from '../http/api-exception.filter';
import { PreparedAnswers } from '../http/prepared-answers';
import { AccessKeysController } from './access-keys.controller';

const ROUTE = '/v1/iam/access-keys';
const OWN = '111111111111';
const MEMBER = '222222222222';
const READ_AT = new Date('2026-11-23T10:00:00.000Z');
const OK: AccountOutcome = {
  accountId: OWN,
  status: 'ok',
  dataReadAt: READ_AT,
  keyCount: 1,
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
};
const DENIED: AccountOutcome = {
  accountId: MEMBER,
  status: 'failed',
  code: 'ACCOUNT_ACCESS_DENIED',
  action: 'AssumeRole',
  message: `AssumeRole of IamKeyMonitorReadOnly in account ${MEMBER} was denied`,
};

function result(overrides: Partial<InventoryResult> = {}): InventoryResult {
  return {
    source: 'credential-report',
    keys: [
      {
        accountId: OWN,
        userName: 'alice',
        accessKeyId: 'AKIAAAAAAAAAAAAAAAA1',
        status: 'Active',
        createdDate: new Date('2025-01-02T03:04:05.000Z'),
        ageHours: 1234.5,
        lastUsedDate: new Date('2026-11-01T00:00:00.000Z'),
        lastUsedService: 's3',
        lastUsedRegion: 'eu-west-1',
        findings: ['old'],
        exemption: {
          source: 'file',
          match: { userName: 'alice' },
          findings: ['old'],
          reason: 'Vendor appliance',
          expiresAt: new Date('2026-12-01T00:00:00.000Z'),
          ticket: 'SEC-1',
          line: 2,
        },
        exempted: true,
      },
    ],
    rootKeys: [
      {
        accountId: OWN,
        userName: '<root_account>',
        accessKeyId: '<root_account>:1',
        slot: 1,
        status: 'Active',
        createdDate: new Date('2019-05-06T07:08:09.000Z'),
        ageHours: 66000.5,
        lastUsedDate: null,
        lastUsedService: null,
        lastUsedRegion: null,
        findings: ['old', 'never_used'],
      },
    ],
    exemptedCount: 2,
    accounts: [OK],
    complete: true,
    dataReadAt: READ_AT,
    thresholds: { rotationMaxAgeHours: 2160, unusedMaxDays: 45, neverUsedGraceHours: 1080 },
    ...overrides,
  };
}

describe(AccessKeysController.name, () => {
  let app: INestApplication;
  let http: Server;
  let inventory: { inventory: jest.Mock<Promise<InventoryResult>, [unknown]> };
  let changed: (() => void) | undefined;

  beforeEach(async () => {
    changed = undefined;
    inventory = { inventory: jest.fn() };
    inventory.inventory.mockResolvedValue(result());
    const moduleRef = await Test.createTestingModule({
      controllers: [AccessKeysController],
      providers: [
        { provide: StoredInventoryService, useValue: { read: (q: unknown) => inventory.inventory(q) } },
        PreparedAnswers,
        {
          provide: InventoryChangeFeed,
          useValue: {
            subscribe: (subscriber: () => void) => {
              changed = subscriber;
              return Promise.resolve(() => undefined);
            },
          },
        },
        { provide: IAM_CLOCK, useValue: { now: () => new Date('2026-11-23T12:00:00.000Z') } },
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

  it('serves a kept answer until its validUntilMs, and drops it the moment the inventory changes', async () => {
    inventory.inventory.mockResolvedValue({
      ...result(),
      validUntilMs: Date.parse('2026-11-23T13:00:00.000Z'),
    } as never);
    const first = await request(http).get(ROUTE).expect(200);
    const again = await request(http).get(ROUTE).expect(200);
    expect(again.text).toBe(first.text);
    expect(inventory.inventory).toHaveBeenCalledTimes(1);

    changed?.();
    await request(http).get(ROUTE).expect(200);
    expect(inventory.inventory).toHaveBeenCalledTimes(2);
  });

  it('asks with the defaults and answers the documented shape', async () => {
    const res = await request(http).get(ROUTE).expect(200);

    expect(inventory.inventory).toHaveBeenCalledWith({
      source: undefined,
      maxAgeSeconds: undefined,
      accountIds: undefined,
      findings: undefined,
      status: undefined,
      includeExempted: false,
      thresholds: { rotationMaxAgeHours: undefined, unusedMaxDays: undefined, neverUsedGraceHours: undefined },
    });
    expect(res.body).toEqual({
      access_keys: [
        {
          account_id: OWN,
          user_name: 'alice',
          access_key_id: 'AKIAAAAAAAAAAAAAAAA1',
          status: 'Active',
          created_date: '2025-01-02T03:04:05.000Z',
          age_hours: 1234.5,
          last_used_date: '2026-11-01T00:00:00.000Z',
          last_used_service: 's3',
          last_used_region: 'eu-west-1',
          findings: ['old'],
          exemption: {
            source: 'file',
            match: { user_name: 'alice' },
            findings: ['old'],
            reason: 'Vendor appliance',
            expires_at: '2026-12-01T00:00:00.000Z',
            ticket: 'SEC-1',
            approved_by: null,
            line: 2,
          },
        },
      ],
      root_access_keys: [
        {
          account_id: OWN,
          slot: 1,
          status: 'Active',
          created_date: '2019-05-06T07:08:09.000Z',
          age_hours: 66000.5,
          last_used_date: null,
          last_used_service: null,
          last_used_region: null,
          findings: ['old', 'never_used'],
        },
      ],
      count: 1,
      exempted_count: 2,
      source: 'credential-report',
      data_read_at: '2026-11-23T10:00:00.000Z',
      thresholds: { older_than_hours: 2160, unused_days: 45, never_used_grace_hours: 1080 },
      complete: true,
      accounts: [{ account_id: OWN, status: 'ok', data_read_at: '2026-11-23T10:00:00.000Z', key_count: 1 }],
    });
  });

  it('passes every parameter on, repeated ones as lists', async () => {
    const qs = [
      'finding=old',
      'finding=two_active',
      `account_id=${OWN}`,
      `account_id=${MEMBER}`,
      'status=Inactive',
      'include_exempted=true',
      'older_than_hours=48',
      'unused_days=30',
      'never_used_grace_hours=0',
      'source=list-users',
      'max_age_seconds=300',
    ].join('&');
    await request(http).get(`${ROUTE}?${qs}`).expect(200);

    expect(inventory.inventory).toHaveBeenCalledWith({
      source: 'list-users',
      maxAgeSeconds: 300,
      accountIds: [OWN, MEMBER],
      findings: ['old', 'two_active'],
      status: 'Inactive',
      includeExempted: true,
      thresholds: { rotationMaxAgeHours: 48, unusedMaxDays: 30, neverUsedGraceHours: 0 },
    });
  });

  it.each([
    ['finding', 'finding=stale', 'each finding must be one of old, unused, never_used, two_active'],
    ['finding', 'finding=old&finding=OLD', 'each finding must be one of old, unused, never_used, two_active'],
    ['account_id', 'account_id=12345', 'each account_id must be a 12-digit AWS account id'],
    ['status', 'status=active', 'status must be Active or Inactive'],
    ['include_exempted', 'include_exempted=1', 'include_exempted must be true or false'],
    ['older_than_hours', 'older_than_hours=0', 'older_than_hours must be an integer from 1 to 876000'],
    ['older_than_hours', 'older_than_hours=876001', 'older_than_hours must be an integer from 1 to 876000'],
    ['older_than_hours', 'older_than_hours=2.5', 'older_than_hours must be an integer from 1 to 876000'],
    ['unused_days', 'unused_days=0', 'unused_days must be an integer from 1 to 36500'],
    ['unused_days', 'unused_days=36501', 'unused_days must be an integer from 1 to 36500'],
    ['unused_days', 'unused_days=abc', 'unused_days must be an integer from 1 to 36500'],
    [
      'never_used_grace_hours',
      'never_used_grace_hours=-1',
      'never_used_grace_hours must be an integer from 0 to 876000',
    ],
    [
      'never_used_grace_hours',
      'never_used_grace_hours=1e3',
      'never_used_grace_hours must be an integer from 0 to 876000',
    ],
    ['source', 'source=report', 'source must be credential-report or list-users'],
    ['max_age_seconds', 'max_age_seconds=-1', 'max_age_seconds must be an integer from 0 to 2678400'],
    ['max_age_seconds', 'max_age_seconds=2678401', 'max_age_seconds must be an integer from 0 to 2678400'],
    ['allow_partial', 'allow_partial=yes', 'allow_partial must be true or false'],
  ])('refuses a bad %s (%s) with a 400 naming it', async (field, qs, message) => {
    const res = await request(http).get(`${ROUTE}?${qs}`).expect(400);

    expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(res.body).toMatchObject({ fields: [{ field, messages: [message] }] });
    expect(inventory.inventory).not.toHaveBeenCalled();
  });

  it('refuses an unknown parameter by name', async () => {
    const res = await request(http).get(`${ROUTE}?hours=24`).expect(400);
    expect((res.body as { fields: { field: string }[] }).fields.map((f) => f.field)).toEqual(['hours']);
  });

  it('answers 502 ACCOUNTS_FAILED when an account failed, listing every account', async () => {
    inventory.inventory.mockResolvedValue(result({ accounts: [OK, DENIED], complete: false }));

    const res = await request(http).get(ROUTE).expect(502);

    expect(res.body).toMatchObject({
      statusCode: 502,
      code: 'ACCOUNTS_FAILED',
      accounts: [
        { account_id: OWN, status: 'ok' },
        { account_id: MEMBER, status: 'failed', code: 'ACCOUNT_ACCESS_DENIED' },
      ],
    });
  });

  it('answers 200 with complete false when allow_partial=true', async () => {
    inventory.inventory.mockResolvedValue(result({ accounts: [OK, DENIED], complete: false }));

    const res = await request(http).get(`${ROUTE}?allow_partial=true`).expect(200);

    expect(res.body).toMatchObject({ complete: false, count: 1 });
  });
});
