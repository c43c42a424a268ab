import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createValidationPipe } from '@app/platform';
import { RemediationRepository, type RemediationDecision } from '@app/store';
import { API_APP_OPTIONS, configureApp } from '../configure-app';
import { ApiExceptionFilter } from '../http/api-exception.filter';
import { RemediationsController } from './remediations.controller';

const ROUTE = '/v1/remediations';

function decision(id: number): RemediationDecision {
  return {
    id,
    runId: 3,
    accountId: '111111111111',
    userName: 'alice',
    accessKeyId: 'AKIAREMEDIATEME00001',
    ladderId: 5,
    outcome: 'deactivated',
    reason: 'expired-past-grace',
    mode: 'enforce',
    decidedAt: new Date('2026-11-24T10:00:00.000Z'),
    detail: { lastUsedAt: null },
  };
}

describe(RemediationsController.name, () => {
  let app: INestApplication;
  let http: Server;
  let repository: jest.Mocked<Pick<RemediationRepository, 'list'>>;

  beforeEach(async () => {
    repository = { list: jest.fn() };
    const moduleRef = await Test.createTestingModule({
      controllers: [RemediationsController],
      providers: [
        { provide: RemediationRepository, useValue: repository },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    }).compile();
    app = configureApp(moduleRef.createNestApplication({ ...API_APP_OPTIONS, logger: false }));
    await app.init();
    http = app.getHttpServer() as Server;
  });

  afterEach(() => app.close());

  it('passes every filter to the store and pages by cursor, one row more than asked telling a next page exists', async () => {
    repository.list.mockResolvedValue([decision(9), decision(8), decision(7)]);

    const res = await request(http).get(ROUTE).query({
      account_id: '111111111111',
      user_name: 'alice',
      access_key_id: 'AKIAREMEDIATEME00001',
      outcome: 'deactivated',
      since: '2026-11-01T00:00:00Z',
      until: '2026-12-01T00:00:00Z',
      limit: '2',
      cursor: '10',
    });

    expect(res.status).toBe(200);
    expect(repository.list).toHaveBeenCalledWith({
      accountId: '111111111111',
      userName: 'alice',
      accessKeyId: 'AKIAREMEDIATEME00001',
      outcome: 'deactivated',
      since: new Date('2026-11-01T00:00:00Z'),
      until: new Date('2026-12-01T00:00:00Z'),
      beforeId: 10,
      limit: 3,
    });
    expect(res.body).toEqual({
      remediations: [9, 8].map((id) => ({
        id,
        run_id: 3,
        account_id: '111111111111',
        user_name: 'alice',
        access_key_id: 'AKIAREMEDIATEME00001',
        ladder_id: 5,
        outcome: 'deactivated',
        reason: 'expired-past-grace',
        mode: 'enforce',
        decided_at: '2026-11-24T10:00:00.000Z',
        detail: { lastUsedAt: null },
      })),
      next_cursor: '8',
    });
  });

  it('defaults to 100 newest first, and says there is no next page', async () => {
    repository.list.mockResolvedValue([decision(1)]);

    const res = await request(http).get(ROUTE);

    expect(res.status).toBe(200);
    expect(repository.list).toHaveBeenCalledWith(expect.objectContaining({ limit: 101, beforeId: undefined }));
    expect(res.body.next_cursor).toBeNull();
  });

  it.each([
    ['outcome', 'gone', 'outcome must be one of'],
    ['account_id', '123', 'account_id must be a 12-digit AWS account id'],
    ['user_name', 'a b', 'user_name must be an IAM user name'],
    ['access_key_id', 'short', 'access_key_id must be an access key id'],
    ['since', 'yesterday', 'since must be an ISO 8601 date-time'],
    ['until', '2026-13-01', 'until must be an ISO 8601 date-time'],
    ['limit', '0', 'limit must be an integer from 1 to 500'],
    ['limit', '501', 'limit must be an integer from 1 to 500'],
    ['cursor', 'abc', "cursor must be a previous page's next_cursor"],
  ])('400 for %s=%s, naming the field, without reading the store', async (field, value, message) => {
    const res = await request(http)
      .get(ROUTE)
      .query({ [field]: value });

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ field }] });
    expect(JSON.stringify(res.body)).toContain(message);
    expect(repository.list).not.toHaveBeenCalled();
  });
});
