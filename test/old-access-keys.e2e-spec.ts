import { expectedOldKeys, seedAccount } from '@app/iam-emulator';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';

const LIST = '/v1/iam/old-access-keys/list-users';

describe('old access keys over HTTP against the IAM emulator', () => {
  let h: ApiHarness;
  const now = new Date();
  const account = seedAccount({ seed: 7, users: 2500, now });

  beforeAll(async () => {
    h = await startApiOnEmulator({ emulator: { account }, env: { SCAN_CACHE_TTL_SECONDS: '0' } });
  });
  afterAll(() => h.close());

  it('list-users returns exactly the expected keys on an account of three ListUsers pages', async () => {
    const res = await fetch(`${h.url}${LIST}?hours=720`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { old_access_keys: { user_name: string; access_key_id: string }[] };
    const expected = expectedOldKeys(account, { hours: 720, includeInactive: false, now: new Date() });
    expect(body.old_access_keys.map((k) => k.access_key_id)).toEqual(expected.map((k) => k.accessKeyId));
    expect(h.emulator.counters.requests.ListUsers).toBe(3);
  });
});
