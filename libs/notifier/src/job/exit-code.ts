import { NotifierExitCode } from '../notifier.constants';

/** 0 only when every email that should have gone out went out and the run itself completed. */
export function exitCodeFor(outcome: { emailsFailed: number; error?: string }): NotifierExitCode {
  if (outcome.error !== undefined) {
    return NotifierExitCode.JobFailed;
  }
  return outcome.emailsFailed > 0 ? NotifierExitCode.DeliveryFailed : NotifierExitCode.Ok;
}
