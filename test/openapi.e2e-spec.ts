import type {
  MediaTypeObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { MAX_HOURS } from '@app/iam';
import { seedAccount } from '@app/iam-emulator';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';

const LIST = '/v1/iam/old-access-keys/list-users';
const REPORT = '/v1/iam/old-access-keys/credential-report';
const TOKEN = 'openapi-e2e-token-0123456789abcdef';
const DOCUMENTED_STATUSES = ['200', '400', '401', '429', '502', '503', '504'];

type Json = Record<string, unknown>;

describe('the OpenAPI document at /docs-json', () => {
  let h: ApiHarness;
  let doc: OpenAPIObject;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account: seedAccount({ seed: 11, users: 20 }) },
      env: { API_TOKENS: TOKEN, SCAN_CACHE_TTL_SECONDS: '0' },
    });
    // Served without a token even when API_TOKENS is set: the docs are how a client learns to send one.
    const res = await fetch(`${h.url}/docs-json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as OpenAPIObject;
  });
  afterAll(() => h.close());

  const operation = (path: string, method: 'get' | 'post'): OperationObject => {
    const op = doc.paths[path]?.[method];
    if (!op) {
      throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    }
    return op;
  };

  const deref = <T extends object>(value: T | ReferenceObject): T => {
    if (!('$ref' in value)) {
      return value;
    }
    const name = value.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) {
      throw new Error(`dangling $ref ${value.$ref}`);
    }
    return target as T;
  };

  const json = (op: OperationObject, status: string): MediaTypeObject => {
    const response = op.responses[status] as ResponseObject | undefined;
    const media = response?.content?.['application/json'];
    if (!response || !media) {
      throw new Error(`${op.operationId} documents no JSON ${status} response`);
    }
    expect(response.description).toBeTruthy();
    return media;
  };

  /** The documented example(s) of a response, as the bodies a client would see. */
  const examplesOf = (media: MediaTypeObject): Json[] => {
    if (media.example !== undefined) {
      return [media.example as Json];
    }
    return Object.values(media.examples ?? {}).map((e) => (deref(e) as { value: Json }).value);
  };

  /** Example bodies carry every required property and nothing the schema does not declare. */
  const expectMatchesSchema = (body: Json, schemaOrRef: SchemaObject | ReferenceObject) => {
    const schema = deref(schemaOrRef);
    expect(Object.keys(body)).toEqual(expect.arrayContaining(schema.required ?? []));
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(Object.keys(body)));
  };

  it('lists both routes with their methods, and the health probes', () => {
    expect(Object.keys(doc.paths[LIST] ?? {})).toEqual(['get']);
    expect(Object.keys(doc.paths[REPORT] ?? {})).toEqual(['post']);
    expect(doc.paths['/health/live']?.get).toBeDefined();
    expect(doc.paths['/health/ready']?.get).toBeDefined();
    expect(doc.paths['/metrics']).toBeUndefined();
  });

  it('documents hours as a required integer from 0 to MAX_HOURS, and include_inactive as a boolean', () => {
    const params = (operation(LIST, 'get').parameters ?? []).map((p) => deref<ParameterObject>(p));
    const hours = params.find((p) => p.name === 'hours');
    expect(hours).toMatchObject({ in: 'query', required: true });
    expect(hours?.schema).toMatchObject({ type: 'integer', minimum: 0, maximum: MAX_HOURS });
    expect(MAX_HOURS).toBe(876_000);

    const includeInactive = params.find((p) => p.name === 'include_inactive');
    expect(includeInactive).toMatchObject({ in: 'query', required: false });
    expect(includeInactive?.schema).toMatchObject({ type: 'boolean', default: false });
    expect(params.map((p) => p.name).sort()).toEqual(['account_id', 'allow_partial', 'hours', 'include_inactive']);
    expect(params.find((p) => p.name === 'allow_partial')).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'boolean', default: false },
    });
    expect(params.find((p) => p.name === 'account_id')).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'array', items: { type: 'string' } },
    });
  });

  it('documents the POST body: hours required, include_inactive a JSON boolean', () => {
    const op = operation(REPORT, 'post');
    expect(op.parameters ?? []).toEqual([]);
    const body = deref(op.requestBody!);
    expect(body.required).toBe(true);
    const schema = deref(body.content['application/json'].schema!);
    expect(schema.required).toEqual(['hours']);
    expect(schema.properties?.hours).toMatchObject({ type: 'integer', minimum: 0, maximum: MAX_HOURS });
    expect(schema.properties?.include_inactive).toMatchObject({ type: 'boolean', default: false });
    expect(schema.properties?.allow_partial).toMatchObject({ type: 'boolean', default: false });
    expect(schema.properties?.account_id).toMatchObject({ type: 'array', items: { type: 'string' } });
  });

  it.each([
    [LIST, 'get', 'list-users'],
    [REPORT, 'post', 'credential-report'],
  ] as const)('%s documents 200 and every error, each with a schema and an example', (path, method, source) => {
    const op = operation(path, method);
    expect(Object.keys(op.responses).sort()).toEqual(DOCUMENTED_STATUSES);

    const ok = json(op, '200');
    expect(deref(ok.schema!)).toBe(doc.components?.schemas?.OldAccessKeysResponseDto);
    const [okExample] = examplesOf(ok);
    expectMatchesSchema(okExample, ok.schema!);
    const keys = okExample.old_access_keys as Json[];
    expect(keys.length).toBeGreaterThan(0);
    expect(okExample).toMatchObject({ source, count: keys.length });
    keys.forEach((k) => expectMatchesSchema(k, doc.components!.schemas!.OldAccessKeyDto));
    expect(okExample.complete).toBe(true);
    const accounts = okExample.accounts as Json[];
    accounts.forEach((a) => expectMatchesSchema(a, doc.components!.schemas!.AccountOutcomeDto));
    for (const account of accounts.filter((a) => a.status === 'ok')) {
      expect(account.key_count).toBe(keys.filter((k) => k.account_id === account.account_id).length);
    }

    // A scan's errors (502/503/504) may list the accounts; the others are the plain error shape.
    const scanErrors = ['502', '503', '504'];
    for (const status of DOCUMENTED_STATUSES.filter((s) => s !== '200')) {
      const media = json(op, status);
      const schemaName = scanErrors.includes(status) ? 'ScanErrorBodyDto' : 'ErrorBodyDto';
      expect(media.schema).toEqual({ $ref: `#/components/schemas/${schemaName}` });
      const examples = examplesOf(media);
      expect(examples.length).toBeGreaterThan(0);
      for (const example of examples) {
        expectMatchesSchema(example, media.schema!);
        expect(example.statusCode).toBe(Number(status));
      }
    }

    expect(examplesOf(json(op, '400'))[0].fields).toEqual([{ field: 'hours', messages: [expect.any(String)] }]);
    const [denied, accountsFailed] = examplesOf(json(op, '502'));
    expect(denied).toMatchObject({ code: 'IAM_ACCESS_DENIED', action: expect.stringMatching(/^[A-Z]\w+$/) });
    expect(denied.message).toContain(denied.action);
    expect(accountsFailed).toMatchObject({ code: 'ACCOUNTS_FAILED' });
    const failed = (accountsFailed.accounts as Json[]).filter((a) => a.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const account of failed) {
      expect(accountsFailed.message).toContain(account.account_id);
      expect(account).toMatchObject({
        code: expect.any(String),
        action: expect.any(String),
        message: expect.any(String),
      });
    }
  });

  it.each([
    [LIST, 'get'],
    [REPORT, 'post'],
  ] as const)(
    '%s documents Retry-After on 503 and 429, and the report-not-ready case where it applies',
    (path, method) => {
      const op = operation(path, method);
      for (const status of ['503', '429']) {
        const headers = (op.responses[status] as ResponseObject).headers ?? {};
        expect(headers['Retry-After']).toMatchObject({ schema: { type: 'integer' } });
        for (const example of examplesOf(json(op, status))) {
          expect(example.retry_after_seconds).toEqual(expect.any(Number));
        }
      }
      const codes503 = examplesOf(json(op, '503')).map((e) => e.code);
      expect(codes503).toEqual(path === REPORT ? ['IAM_THROTTLED', 'IAM_REPORT_NOT_READY'] : ['IAM_THROTTLED']);
    },
  );

  it('declares the bearer scheme and requires it on the /v1 routes only', () => {
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(operation(LIST, 'get').security).toEqual([{ bearer: [] }]);
    expect(operation(REPORT, 'post').security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/health/live']?.get?.security).toBeUndefined();
    expect(doc.paths['/health/ready']?.get?.security).toBeUndefined();
  });

  describe('the documented error examples are what the API really sends', () => {
    const documented = (path: string, method: 'get' | 'post', status: string) =>
      examplesOf(json(operation(path, method), status))[0];
    const auth = { authorization: `Bearer ${TOKEN}` };

    it('401 without a token', async () => {
      const res = await fetch(`${h.url}${LIST}?hours=24`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(documented(LIST, 'get', '401'));
    });

    it('400 for an invalid hours', async () => {
      const res = await fetch(`${h.url}${LIST}?hours=abc`, { headers: auth });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(documented(LIST, 'get', '400'));
    });

    it('502 when IAM denies the action', async () => {
      h.emulator.faults.accessDenied.add('ListAccessKeys');
      try {
        const list = await fetch(`${h.url}${LIST}?hours=24`, { headers: auth });
        expect(list.status).toBe(502);
        expect(await list.json()).toEqual(documented(LIST, 'get', '502'));
      } finally {
        h.emulator.faults.accessDenied.clear();
      }
      h.emulator.faults.accessDenied.add('GenerateCredentialReport');
      try {
        const report = await fetch(`${h.url}${REPORT}`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ hours: 24 }),
        });
        expect(report.status).toBe(502);
        expect(await report.json()).toEqual(documented(REPORT, 'post', '502'));
      } finally {
        h.emulator.faults.accessDenied.clear();
      }
    });
  });
});
