/** `() => Date`: the job's clock, replaced by tests that move time. */
export const REMEDIATION_CLOCK = Symbol('REMEDIATION_CLOCK');
/** RemediationIamClients: the per-account write door. */
export const REMEDIATION_IAM_CLIENTS = Symbol('REMEDIATION_IAM_CLIENTS');
/** KillSwitch: checked before every action. */
export const REMEDIATION_KILL_SWITCH = Symbol('REMEDIATION_KILL_SWITCH');
/** EmailDriver the owner notices and the digest go through (the notifier's SES or dry-run driver). */
export const REMEDIATION_MAILER = Symbol('REMEDIATION_MAILER');

export type RemediationClock = () => Date;
