import { buildCredentialReportCsv } from './credential-report.csv';
import type { IamAccount } from './iam-account.model';
import { QueryError } from './query-protocol';

export type ReportGenerationState = 'STARTED' | 'INPROGRESS' | 'COMPLETE';

/** How long AWS serves the same report before GenerateCredentialReport builds a new one. */
export const DEFAULT_REPORT_TTL_MS = 4 * 3_600_000;

export interface CredentialReportOptions {
  delayMs: number;
  ttlMs: number;
  clock: () => number;
  neverCompletes: () => boolean;
}

export interface GeneratedReport {
  content: string;
  generatedTime: Date;
}

type State =
  | { kind: 'none' }
  | { kind: 'generating'; startedAt: number; csv: string }
  | { kind: 'complete'; generatedAt: number; csv: string; expired: boolean };

/**
 * AWS's credential report lifecycle. The CSV is taken when generation starts, so the report is a
 * snapshot: account changes made later show only once a new report is generated, which (as in AWS)
 * happens only after the current one has expired (ttlMs, or expire()).
 */
export class CredentialReportGenerator {
  private state: State = { kind: 'none' };

  constructor(
    private readonly account: () => IamAccount,
    private readonly options: CredentialReportOptions,
  ) {}

  generate(): { state: ReportGenerationState; description: string } {
    this.settle();
    const { state } = this;
    switch (state.kind) {
      case 'generating':
        return { state: 'INPROGRESS', description: 'Report generation is in progress' };
      case 'complete':
        if (!state.expired) {
          return { state: 'COMPLETE', description: 'Report is complete' };
        }
        break;
      case 'none':
        break;
    }
    this.state = { kind: 'generating', startedAt: this.options.clock(), csv: buildCredentialReportCsv(this.account()) };
    return { state: 'STARTED', description: 'No report exists. Starting a new report generation task' };
  }

  get(): GeneratedReport {
    this.settle();
    const { state } = this;
    switch (state.kind) {
      case 'none':
        throw new QueryError('ReportNotPresent', 410, 'Credential report not present. Use GenerateCredentialReport.');
      case 'generating':
        throw new QueryError('ReportInProgress', 404, 'Credential report generation is in progress.');
      case 'complete':
        if (state.expired) {
          throw new QueryError('ReportExpired', 410, 'Credential report has expired. Use GenerateCredentialReport.');
        }
        return { content: Buffer.from(state.csv).toString('base64'), generatedTime: new Date(state.generatedAt) };
    }
  }

  /** The current report answers ReportExpired until the next GenerateCredentialReport starts a new one. */
  expire(): void {
    this.settle();
    if (this.state.kind === 'complete') {
      this.state.expired = true;
    }
  }

  /** Forget every report, as if none had ever been generated. */
  discard(): void {
    this.state = { kind: 'none' };
  }

  private settle(): void {
    const now = this.options.clock();
    const { state } = this;
    if (
      state.kind === 'generating' &&
      !this.options.neverCompletes() &&
      now - state.startedAt >= this.options.delayMs
    ) {
      this.state = { kind: 'complete', generatedAt: state.startedAt, csv: state.csv, expired: false };
    }
    if (this.state.kind === 'complete' && now - this.state.generatedAt >= this.options.ttlMs) {
      this.state.expired = true;
    }
  }
}
