import { EnvValidationError, validateAll } from '@app/platform';
import { loadRemediationConfig } from './remediation.config';

describe(loadRemediationConfig.name, () => {
  it('defaults to off, 7 grace days, 10 per run, no account, Mon-Thu 09-16, no deletion, its own role', () => {
    const sut = loadRemediationConfig({});

    expect(sut).toMatchObject({
      mode: 'off',
      graceDays: 7,
      maxPerRun: 10,
      spareUsedWithinHours: undefined,
      deleteAfterDays: undefined,
      killSwitchFile: undefined,
      roleName: 'IamKeyMonitorRemediation',
    });
    expect(sut.accounts.size).toBe(0);
    expect(sut.window.text).toBe('Mon-Thu 09-16');
  });

  it('reads every variable', () => {
    const sut = loadRemediationConfig({
      REMEDIATION_MODE: 'enforce',
      REMEDIATION_GRACE_DAYS: '0',
      REMEDIATION_SPARE_USED_WITHIN_HOURS: '24',
      REMEDIATION_DELETE_AFTER_DAYS: '30',
      REMEDIATION_MAX_PER_RUN: '3',
      REMEDIATION_ACCOUNTS: '111111111111, 222222222222',
      REMEDIATION_WINDOW: 'Tue 10-12',
      REMEDIATION_KILL_SWITCH_FILE: '/run/stop',
      REMEDIATION_ROLE_NAME: 'KeyRemediator',
    });

    expect(sut).toMatchObject({
      mode: 'enforce',
      graceDays: 0,
      spareUsedWithinHours: 24,
      deleteAfterDays: 30,
      maxPerRun: 3,
      killSwitchFile: '/run/stop',
      roleName: 'KeyRemediator',
    });
    expect([...sut.accounts]).toEqual(['111111111111', '222222222222']);
    expect([...sut.window.days]).toEqual([2]);
  });

  it.each([
    ['REMEDIATION_MODE', 'on', 'REMEDIATION_MODE ("on"): REMEDIATION_MODE must be one of off, dry-run, enforce'],
    ['REMEDIATION_GRACE_DAYS', '-1', 'REMEDIATION_GRACE_DAYS'],
    ['REMEDIATION_SPARE_USED_WITHIN_HOURS', 'soon', 'REMEDIATION_SPARE_USED_WITHIN_HOURS ("soon")'],
    ['REMEDIATION_DELETE_AFTER_DAYS', '0', 'REMEDIATION_DELETE_AFTER_DAYS'],
    ['REMEDIATION_MAX_PER_RUN', '0', 'REMEDIATION_MAX_PER_RUN'],
    ['REMEDIATION_ACCOUNTS', '12345', 'REMEDIATION_ACCOUNTS must list 12-digit account ids'],
    ['REMEDIATION_WINDOW', 'weekdays', 'REMEDIATION_WINDOW ("weekdays"): expected "<days> <HH-HH>"'],
    ['REMEDIATION_ROLE_NAME', 'a role', 'REMEDIATION_ROLE_NAME must be an IAM role name'],
  ])('a bad %s stops the boot with a message naming it', (name, value, message) => {
    let error: unknown;
    try {
      validateAll([() => loadRemediationConfig({ [name]: value })]);
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(EnvValidationError);
    expect((error as Error).message).toContain(message);
  });
});
