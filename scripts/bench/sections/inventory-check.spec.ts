import type { ExpectedInventory, KeyFindingsRecord } from '../emulator-protocol';
import { checkInventoryAnswer, type InventoryBody, type KeyBody } from './inventory-check';

const CREATED = Date.parse('2026-01-01T00:00:00.000Z');
const USED = Date.parse('2026-03-01T12:00:00.000Z');

const expectedKey = (id: string, userName: string, findings: string[], used = true): KeyFindingsRecord => ({
  userName,
  accessKeyId: id,
  createdMs: CREATED,
  status: 'Active',
  lastUsedMs: used ? USED : null,
  lastUsedService: used ? 's3' : null,
  lastUsedRegion: used ? 'eu-west-1' : null,
  findings,
});

const answered = (k: KeyFindingsRecord): KeyBody => ({
  user_name: k.userName,
  access_key_id: k.accessKeyId,
  status: k.status,
  created_date: new Date(k.createdMs).toISOString(),
  last_used_date: k.lastUsedMs === null ? null : new Date(k.lastUsedMs).toISOString(),
  last_used_service: k.lastUsedService,
  last_used_region: k.lastUsedRegion,
  findings: [...k.findings],
});

describe(checkInventoryAnswer.name, () => {
  let before: ExpectedInventory;
  let after: ExpectedInventory;
  let body: InventoryBody;

  beforeEach(() => {
    const root = { ...expectedKey('root:1', '<root_account>', ['old']), slot: 1 as const };
    before = {
      keys: [expectedKey('AKIA1', 'alice', ['old']), expectedKey('AKIA2', 'bob', []), expectedKey('AKIA3', 'bob', [])],
      rootKeys: [root],
    };
    // AKIA3 crossed the never-used grace while the request ran: either answer is right.
    after = { ...before, keys: [...before.keys.slice(0, 2), expectedKey('AKIA3', 'bob', ['never_used'])] };
    const { user_name: _u, access_key_id: _a, ...rootBody } = answered(root);
    body = {
      source: 'credential-report',
      access_keys: before.keys.map(answered),
      root_access_keys: [{ ...rootBody, slot: 1 }],
    };
  });

  it('passes an exact answer, counting users with findings before and after', () => {
    expect(checkInventoryAnswer(body, before, after)).toEqual({
      expected: 3,
      returned: 3,
      lost: 0,
      wrong: 0,
      wrongFindings: 0,
      findings: 1,
      usersWithFindings: [1, 2],
      root: '1 / 1 ✓',
      rootOk: true,
    });
  });

  it('accepts a finding gained during the request, not one beyond the later answer', () => {
    body.access_keys[2].findings = ['never_used'];
    expect(checkInventoryAnswer(body, before, after).wrongFindings).toBe(0);
    body.access_keys[1].findings = ['unused'];
    expect(checkInventoryAnswer(body, before, after).wrongFindings).toBe(1);
  });

  it('counts a missing finding, a lost key, an invented key and a wrong last use', () => {
    body.access_keys[0].findings = [];
    body.access_keys.splice(1, 1);
    body.access_keys.push({ ...body.access_keys[0], access_key_id: 'AKIA9' });
    body.access_keys[1].last_used_region = 'us-east-1';
    expect(checkInventoryAnswer(body, before, after)).toMatchObject({
      lost: 1,
      wrong: 2,
      wrongFindings: 1,
    });
  });

  it('requires the root keys the report read, after a list-users scan too (the store keeps them)', () => {
    expect(checkInventoryAnswer(body, before, after).rootOk).toBe(true);
    body.root_access_keys[0].last_used_date = null;
    expect(checkInventoryAnswer(body, before, after).rootOk).toBe(false);
    body.root_access_keys = [];
    expect(checkInventoryAnswer(body, before, after)).toMatchObject({ root: '0 / 1 ✗', rootOk: false });
  });
});
