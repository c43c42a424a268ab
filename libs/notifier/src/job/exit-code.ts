import { NotifierExitCode } from '../notifier.constants';

/**
 * 0 only when every email that should have gone out went out and every account was checked. An owner whose
 * tag could not be read got no email (their keys went to the fallback recipients), and an account that could
 * not be scanned had none of its keys checked: both count as 1 too. 2 when the run itself could not complete.
 */
export function exitCodeFor(outcome: {
  emailsFailed: number;
  ownerLookupsFailed?: number;
  accountsFailed?: number;
  error?: string;
}): NotifierExitCode {
  if (outcome.error !== undefined) {
    return NotifierExitCode.JobFailed;
  }
  return outcome.emailsFailed > 0 || (outcome.ownerLookupsFailed ?? 0) > 0 || (outcome.accountsFailed ?? 0) > 0
    ? NotifierExitCode.DeliveryFailed
    : NotifierExitCode.Ok;
}
