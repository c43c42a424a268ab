import type { OrganizationScanResult, ScanQuery, ScanSource } from '@app/iam';
import type { KeyRecord } from './emulator-protocol';
import type { BenchScanner } from './scanner';

export const EVERY_KEY: ScanQuery = { hours: 0, includeInactive: true };

/** One account's part of a run, as both the organization scan and the loop over accounts report it. */
export interface AccountPart {
  status: 'ok' | 'failed' | 'skipped';
  code?: string;
  keys: KeyRecord[];
  /** The account's own scan (stats.durationMs), without the wait for an account slot. */
  durationMs?: number;
}

export type Parts = Map<string, AccountPart>;

/** How a run reads the organization: OrganizationScanService whole, or a loop over the accounts one by one. */
export type OrganizationRunMode = 'organization' | 'loop';

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function keyRecordsByAccount(result: OrganizationScanResult): Parts {
  const parts: Parts = new Map();
  for (const account of result.accounts) {
    parts.set(account.accountId, {
      status: account.status,
      keys: [],
      ...(account.status === 'failed' ? { code: account.code } : {}),
      ...(account.status === 'ok' ? { durationMs: account.stats.durationMs } : {}),
    });
  }
  for (const k of result.keys) {
    parts.get(k.accountId)?.keys.push({
      userName: k.userName,
      accessKeyId: k.accessKeyId,
      createdMs: k.createdDate.getTime(),
      status: k.status,
    });
  }
  return parts;
}

/** What a script looping over the accounts does: the same per-account clients and scans, one account at a time. */
async function loopOverAccounts(scanner: BenchScanner, source: ScanSource): Promise<Parts> {
  const plan = await scanner.directory.resolve();
  const parts: Parts = new Map();
  for (const account of plan.accounts) {
    try {
      const iam = await scanner.registry.forAccount(account);
      const result = await scanner.oldKeys.scan(source, EVERY_KEY, iam);
      parts.set(account.accountId, {
        status: 'ok',
        durationMs: result.stats.durationMs,
        keys: result.keys.map((k) => ({
          userName: k.userName,
          accessKeyId: k.accessKeyId,
          createdMs: k.createdDate.getTime(),
          status: k.status,
        })),
      });
    } catch (err) {
      parts.set(account.accountId, { status: 'failed', code: describe(err), keys: [] });
    }
  }
  return parts;
}

export async function runOrganization(scanner: BenchScanner, mode: OrganizationRunMode, source: ScanSource) {
  return mode === 'loop'
    ? loopOverAccounts(scanner, source)
    : keyRecordsByAccount(await scanner.organization.scan(source, EVERY_KEY));
}
