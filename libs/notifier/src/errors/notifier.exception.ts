export enum NotifierErrorCode {
  SendThrottled = 'NOTIFIER_SEND_THROTTLED',
  SendRejected = 'NOTIFIER_SEND_REJECTED',
  SendFailed = 'NOTIFIER_SEND_FAILED',
  DryRunWriteFailed = 'NOTIFIER_DRY_RUN_WRITE_FAILED',
}

/** A failure to deliver one message; the job counts it and carries on with the others. */
export class NotifierException extends Error {
  constructor(
    readonly code: NotifierErrorCode,
    message: string,
    readonly details: { awsErrorName?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'NotifierException';
  }

  get awsErrorName(): string | undefined {
    return this.details.awsErrorName;
  }
}
