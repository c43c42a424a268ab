import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { seedAccount } from '@app/iam-emulator';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';

const ROUTE = '/v1/iam/access-keys';
const TOKEN = 'openapi-e2e-token-0123456789abcdef';

describe('the inventory route in the OpenAPI document', () => {
  let h: ApiHarness;
  let doc: OpenAPIObject;
  let op: OperationObject;

  beforeAll(async () => {
    h = await startApiOnEmulator({
      emulator: { account: seedAccount({ seed: 11, users: 20 }) },
      env: { API_TOKENS: TOKEN },
    });
    doc = (await (await fetch(`${h.url}/docs-json`)).json()) as OpenAPIObject;
    op = doc.paths[ROUTE].get!;
  });
  afterAll(() => h.close());

  const deref = <T extends object>(value: T | ReferenceObject): T =>
    '$ref' in value ? (doc.components!.schemas![value.$ref.replace('#/components/schemas/', '')] as T) : value;
  const media = (status: string) => (op.responses[status] as ResponseObject).content!['application/json'];

  it('documents every parameter, and every status with the shared bodies, behind the bearer scheme', () => {
    const params = (op.parameters as ParameterObject[]).map((p) => [p.name, p.required ?? false]);
    expect(params.sort()).toEqual(
      [
        ['account_id', false],
        ['allow_partial', false],
        ['finding', false],
        ['include_exempted', false],
        ['max_age_seconds', false],
        ['never_used_grace_hours', false],
        ['older_than_hours', false],
        ['source', false],
        ['status', false],
        ['unused_days', false],
      ].sort(),
    );
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '429', '502', '503', '504']);
    expect(op.security).toEqual([{ bearer: [] }]);
  });

  it('shows a 200 example whose keys the response schema declares, with count matching the list', () => {
    const example = media('200').example as Record<string, unknown> & { access_keys: unknown[]; count: number };
    const schema = deref(media('200').schema as SchemaObject | ReferenceObject);
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(Object.keys(example)));
    expect(Object.keys(example)).toEqual(expect.arrayContaining(schema.required ?? []));
    expect(example.count).toBe(example.access_keys.length);
  });

  it('shows the 400 example the route really sends for a bad finding', async () => {
    const documented = Object.values(media('400').examples ?? {}).map((e) => (e as { value: unknown }).value)[0];
    const res = await fetch(`${h.url}${ROUTE}?finding=stale`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect({ ...body, error_id: undefined }).toEqual({ ...(documented as object), error_id: undefined });
  });
});
