import { NotifierExitCode } from '../notifier.constants';

/**
 * 0 only when every email that should have gone out went out and the run itself completed. An owner whose
 * tag could not be read got no email (their keys went to the fallback recipients), which counts as 1 too.
 */
export function exitCodeFor(outcome: {
  emailsFailed: number;
  ownerLookupsFailed?: number;
  error?: string;
}): NotifierExitCode {
  if (outcome.error !== undefined) {
    return NotifierExitCode.JobFailed;
  }
  return outcome.emailsFailed > 0 || (outcome.ownerLookupsFailed ?? 0) > 0
    ? NotifierExitCode.DeliveryFailed
    : NotifierExitCode.Ok;
}
