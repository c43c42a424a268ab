import type { RemediationOutcome } from '@app/store';
import type { RemediationMode } from '../config/remediation.config';
import type { KillSwitchEngaged } from './kill-switch';
import type { Decision, RemediationRunSummary, RunStatus } from './remediation.types';

/** The run's metrics: decisions by outcome, spared and refused by reason (logged as one line, stored with the run). */
export function summarize(
  runId: number | null,
  mode: RemediationMode,
  status: RunStatus | 'off' | 'busy',
  decisions: readonly Pick<Decision, 'outcome' | 'reason'>[],
  emailsSent: number,
  emailsFailed: number,
  killSwitch?: KillSwitchEngaged,
): RemediationRunSummary {
  const outcomes: Partial<Record<RemediationOutcome, number>> = {};
  const spared: Record<string, number> = {};
  const refused: Record<string, number> = {};
  for (const d of decisions) {
    outcomes[d.outcome] = (outcomes[d.outcome] ?? 0) + 1;
    if (d.outcome === 'spared') {
      spared[d.reason] = (spared[d.reason] ?? 0) + 1;
    } else if (d.outcome === 'refused') {
      refused[d.reason] = (refused[d.reason] ?? 0) + 1;
    }
  }
  const summary: RemediationRunSummary = {
    event: 'remediation.summary',
    runId,
    mode,
    status,
    outcomes,
    spared,
    refused,
    emailsSent,
    emailsFailed,
  };
  return killSwitch ? { ...summary, killSwitch: { reason: killSwitch.reason } } : summary;
}
