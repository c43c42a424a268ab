export const EMAIL_DRIVER = Symbol('EMAIL_DRIVER');

export const DAY_MS = 86_400_000;

/** Exit codes of the notifier job: 0 only when every email that should have gone out went out. */
export enum NotifierExitCode {
  Ok = 0,
  DeliveryFailed = 1,
  JobFailed = 2,
}
