import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExemptionsService } from './exemptions/exemptions.service';
import { FINDINGS_CLOCK } from './findings.constants';
import { FindingsModule } from './findings.module';
import { FindingsService } from './findings.service';
import type { KeyFacts } from './findings.types';

const NOW = new Date('2026-01-10T08:00:00.000Z');
const DAY = 86_400_000;

const FILE = `exemptions:
  - match: { account_id: "111111111111", user_name: "svc-*" }
    findings: [old]
    reason: Vendor appliance
    expires_at: 2026-02-01
    ticket: SEC-1
  - match: { user_name: nobody }
    reason: Left over
    expires_at: 2026-02-01
`;

function key(overrides: Partial<KeyFacts>): KeyFacts {
  return {
    accountId: '111111111111',
    userName: 'svc-a',
    accessKeyId: 'AKIAAAAAAAAAAAAAAAA1',
    status: 'Active',
    createdDate: new Date(NOW.getTime() - 100 * DAY),
    lastUsedDate: new Date(NOW.getTime() - DAY),
    lastUsedService: 'iam',
    lastUsedRegion: 'us-east-1',
    ...overrides,
  };
}

describe(FindingsModule.name, () => {
  const saved = { ...process.env };
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'findings-'));
  });

  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  async function boot(env: Record<string, string>, file?: string) {
    const exemptionsFile = path.join(dir, 'exemptions.yaml');
    if (file !== undefined) {
      writeFileSync(exemptionsFile, file);
    }
    process.env = { PATH: saved.PATH, ...env, ...(file !== undefined && { EXEMPTIONS_FILE: exemptionsFile }) };
    return Test.createTestingModule({ imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), FindingsModule] })
      .overrideProvider(FINDINGS_CLOCK)
      .useValue(() => NOW)
      .compile();
  }

  it('boots without a file: no exemptions, the default thresholds', async () => {
    const app = await boot({});
    expect(app.get(ExemptionsService).declared).toEqual([]);
    expect(app.get(FindingsService).thresholds).toEqual({
      rotationMaxAgeHours: 2160,
      unusedMaxDays: 45,
      neverUsedGraceHours: 1080,
    });
  });

  it('loads the file once at boot and resolves file and tag exemptions against the findings', async () => {
    const app = await boot({ ROTATION_MAX_AGE_HOURS: '2000' }, FILE);
    const findings = app.get(FindingsService);
    const exemptions = app.get(ExemptionsService);
    expect(exemptions.declared.map((e) => [e.line, e.ticket ?? null])).toEqual([
      [2, 'SEC-1'],
      [7, null],
    ]);
    writeFileSync(path.join(dir, 'exemptions.yaml'), 'not: [valid');
    expect(app.get(ExemptionsService).declared).toHaveLength(2);

    const [svc] = findings.evaluate([key({})], NOW);
    expect(svc.findings).toEqual(['old']);
    expect(exemptions.resolve(svc.key, svc.findings, NOW)).toMatchObject({ exempted: true, open: [] });
    expect(exemptions.resolve(svc.key, svc.findings, new Date('2026-02-01T00:00:00.000Z'))).toMatchObject({
      exemption: null,
      exempted: false,
    });

    const human = key({ userName: 'alice', lastUsedDate: null });
    const [alice] = findings.evaluate([human], NOW, { rotationMaxAgeHours: 5000, neverUsedGraceHours: undefined });
    expect(alice.findings).toEqual(['never_used']);
    const tag = exemptions.fromTags({
      accountId: '111111111111',
      userName: 'alice',
      tags: { 'iam-key-monitor:exempt-until': '2026-07-09', 'iam-key-monitor:exempt-reason': 'Terraform' },
      now: NOW,
    });
    expect(tag.problem).toBeUndefined();
    expect(exemptions.resolve(alice.key, alice.findings, NOW, tag.exemption)).toEqual({
      exemption: tag.exemption,
      open: [],
      exempted: true,
    });

    expect(exemptions.stale([{ key: svc.key, findings: svc.findings }], NOW).map((e) => e.reason)).toEqual([
      'Left over',
    ]);
  });

  it('applies EXEMPTION_MAX_DAYS to tags as to the file', async () => {
    const app = await boot({ EXEMPTION_MAX_DAYS: '30' });
    expect(
      app.get(ExemptionsService).fromTags({
        accountId: '111111111111',
        userName: 'alice',
        tags: { 'iam-key-monitor:exempt-until': '2026-03-01', 'iam-key-monitor:exempt-reason': 'x' },
        now: NOW,
      }).problem,
    ).toContain('is more than 30 days ahead (EXEMPTION_MAX_DAYS)');
  });

  it('stops boot on a bad file, naming the file, the line and the field', async () => {
    const bad = FILE.replace('    reason: Left over\n', '');
    await expect(boot({}, bad)).rejects.toThrow(
      `Invalid configuration:\n  - EXEMPTIONS_FILE ${path.join(dir, 'exemptions.yaml')} line 7: exemptions[1].reason: required`,
    );
  });

  it('stops boot on an expiry past EXEMPTION_MAX_DAYS as of the clock', async () => {
    await expect(boot({ EXEMPTION_MAX_DAYS: '21' }, FILE)).rejects.toThrow(
      'line 5: exemptions[0].expires_at: 2026-02-01 is more than 21 days ahead (EXEMPTION_MAX_DAYS)',
    );
  });

  it('stops boot on a missing file, naming the variable', async () => {
    process.env = { PATH: saved.PATH, EXEMPTIONS_FILE: path.join(dir, 'absent.yaml') };
    await expect(
      Test.createTestingModule({ imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), FindingsModule] }).compile(),
    ).rejects.toThrow(/EXEMPTIONS_FILE \(".*absent\.yaml"\): cannot be read \(ENOENT\)/);
  });
});
