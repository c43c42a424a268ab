import type { IamAccountClient } from '../client/iam-account.client';
import type { ScanQuery, ScanResult, ScanSource } from '../iam.types';

/**
 * The first step of an account's scan, started before the account's turn (see ScanStrategy.prepare): handed to
 * that scan, which takes its outcome as its own, or aborted when the scan is not run after all.
 */
export interface ScanPreparation {
  /** The account whose scan this step belongs to. */
  readonly iam: IamAccountClient;
  /** Settles (never rejects) once the step is over, aborted or not. */
  readonly settled: Promise<void>;
  /** Ends the step (its request in flight included); no-op once it is over. */
  abort(): void;
}

export interface ScanStrategy {
  readonly source: ScanSource;
  /**
   * Scans the account `iam` reads (the own account when omitted). `prepared`, from this strategy's `prepare` for
   * the same account, stands for the scan's first step.
   */
  scan(query: ScanQuery, iam?: IamAccountClient, prepared?: ScanPreparation): Promise<ScanResult>;
  /**
   * Starts the part of a scan of `iam` that waits on IAM rather than reading it (the credential report's build),
   * so it runs while other accounts hold the scan slots. Strategies with nothing to start ahead leave it out.
   */
  prepare?(iam: IamAccountClient): ScanPreparation;
}
