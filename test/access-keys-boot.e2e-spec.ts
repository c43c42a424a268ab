import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killSpawned, spawnApi, type SpawnedApi } from './support/api-harness';

const SLOW = 60_000;

/** The findings variables and the exemptions file are checked at boot (bootstrap validateAll), before Nest starts. */
describe('findings configuration errors stop the API process', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'boot-exemptions-'));
  const badFile = path.join(dir, 'exemptions.yaml');
  writeFileSync(badFile, 'exemptions:\n  - match: { user_name: svc }\n    reason: Legacy\n    expires_at: someday\n');
  const cases: [string, Record<string, string>, string][] = [
    ['ROTATION_MAX_AGE_HOURS=0', { ROTATION_MAX_AGE_HOURS: '0' }, 'ROTATION_MAX_AGE_HOURS ('],
    ['UNUSED_MAX_DAYS=forty', { UNUSED_MAX_DAYS: 'forty' }, 'UNUSED_MAX_DAYS ('],
    ['NEVER_USED_GRACE_HOURS=-1', { NEVER_USED_GRACE_HOURS: '-1' }, 'NEVER_USED_GRACE_HOURS ('],
    ['EXEMPTION_MAX_DAYS=0', { EXEMPTION_MAX_DAYS: '0' }, 'EXEMPTION_MAX_DAYS ('],
    [
      'a bad EXEMPTIONS_FILE',
      { EXEMPTIONS_FILE: badFile },
      `EXEMPTIONS_FILE ${badFile} line 4: exemptions[0].expires_at`,
    ],
  ];
  const runs = new Map<string, { code: number | null; output: string }>();
  const spawned: SpawnedApi[] = [];

  beforeAll(async () => {
    await Promise.all(
      cases.map(async ([label, env]) => {
        const api = await spawnApi({ ...env, AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:9' });
        spawned.push(api);
        runs.set(label, { code: await api.exited, output: api.output() });
      }),
    );
  }, SLOW);
  afterAll(async () => {
    await Promise.all(spawned.map(killSpawned));
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases)('%s exits non-zero with a message naming it', (label, _env, named) => {
    const run = runs.get(label);
    expect(run?.code).not.toBe(0);
    expect(run?.output).toContain(named);
    expect(run?.output).not.toContain('Listening on');
    // Reported before Nest starts: one message, no injector stack.
    expect(run?.output).not.toMatch(/\n\s+at /);
    expect(run?.output).not.toContain('ExceptionHandler');
  });
});
