export const EMAIL_DRIVER = Symbol('EMAIL_DRIVER');
/** What scans every configured account (`KeyScanner`): the organization scan of `@app/iam`. */
export const KEY_SCANNER = Symbol('KEY_SCANNER');
/** What reads an IAM user's tags in the user's own account (`OwnerTagReader`). */
export const OWNER_TAG_READER = Symbol('OWNER_TAG_READER');

export const DAY_MS = 86_400_000;

/** Exit codes of the notifier job: 0 only when every email that should have gone out went out. */
export enum NotifierExitCode {
  Ok = 0,
  /** An email failed, an owner's tags were unreadable or an account could not be scanned; the rest went out. */
  DeliveryFailed = 1,
  JobFailed = 2,
}
