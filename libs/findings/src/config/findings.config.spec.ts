import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { EnvValidationError } from '@app/platform';
import { findingsConfig, loadFindingsConfig } from './findings.config';

describe('findingsConfig', () => {
  let sut: typeof loadFindingsConfig;

  beforeEach(() => {
    sut = loadFindingsConfig;
  });

  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      sut(env);
    } catch (err) {
      if (err instanceof EnvValidationError) {
        return err.problems;
      }
      throw err;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('defaults to 90 days, 45 days unused, 45 days of grace, no file, 180 days at most', () => {
    expect(sut({})).toEqual({
      thresholds: { rotationMaxAgeHours: 2160, unusedMaxDays: 45, neverUsedGraceHours: 1080 },
      exemptionsFile: undefined,
      exemptionMaxDays: 180,
    });
  });

  it('reads every setting', () => {
    expect(
      sut({
        ROTATION_MAX_AGE_HOURS: '720',
        UNUSED_MAX_DAYS: '90',
        NEVER_USED_GRACE_HOURS: '0',
        EXEMPTIONS_FILE: '/etc/iam-key-monitor/exemptions.yaml',
        EXEMPTION_MAX_DAYS: '30',
      }),
    ).toEqual({
      thresholds: { rotationMaxAgeHours: 720, unusedMaxDays: 90, neverUsedGraceHours: 0 },
      exemptionsFile: '/etc/iam-key-monitor/exemptions.yaml',
      exemptionMaxDays: 30,
    });
  });

  it.each([
    [
      { ROTATION_MAX_AGE_HOURS: '90d' },
      'ROTATION_MAX_AGE_HOURS ("90d"): ROTATION_MAX_AGE_HOURS must be an integer number',
    ],
    [{ ROTATION_MAX_AGE_HOURS: '0' }, 'ROTATION_MAX_AGE_HOURS (0): ROTATION_MAX_AGE_HOURS must not be less than 1'],
    [
      { ROTATION_MAX_AGE_HOURS: '876001' },
      'ROTATION_MAX_AGE_HOURS (876001): ROTATION_MAX_AGE_HOURS must not be greater than 876000',
    ],
    [{ UNUSED_MAX_DAYS: '0' }, 'UNUSED_MAX_DAYS (0): UNUSED_MAX_DAYS must not be less than 1'],
    [{ UNUSED_MAX_DAYS: '4.5' }, 'UNUSED_MAX_DAYS ("4.5"): UNUSED_MAX_DAYS must be an integer number'],
    [{ NEVER_USED_GRACE_HOURS: '-1' }, 'NEVER_USED_GRACE_HOURS (-1): NEVER_USED_GRACE_HOURS must not be less than 0'],
    [{ EXEMPTION_MAX_DAYS: '0' }, 'EXEMPTION_MAX_DAYS (0): EXEMPTION_MAX_DAYS must not be less than 1'],
    [{ EXEMPTION_MAX_DAYS: '3651' }, 'EXEMPTION_MAX_DAYS (3651): EXEMPTION_MAX_DAYS must not be greater than 3650'],
  ])('stops on %p, naming the variable', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it('names every bad variable in one go', () => {
    expect(problemsOf({ UNUSED_MAX_DAYS: 'x', EXEMPTION_MAX_DAYS: '0' }).map((p) => p.split(' ')[0])).toEqual([
      'UNUSED_MAX_DAYS',
      'EXEMPTION_MAX_DAYS',
    ]);
  });

  it('stops a Nest application at boot, naming the variable', async () => {
    const saved = { ...process.env };
    process.env = { PATH: saved.PATH, NEVER_USED_GRACE_HOURS: 'soon' };
    try {
      await expect(
        Test.createTestingModule({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [findingsConfig] })],
        }).compile(),
      ).rejects.toThrow(
        'Invalid configuration:\n  - NEVER_USED_GRACE_HOURS ("soon"): NEVER_USED_GRACE_HOURS must be an integer number',
      );
    } finally {
      process.env = saved;
    }
  });
});
