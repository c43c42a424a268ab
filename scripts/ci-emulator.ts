/**
 * The emulator for scripts/container-test.sh: the seeded account `npm run emulator` serves, plus the answers a
 * correct API must give about it, computed from the same account at the instant it was seeded and written to a
 * JSON file. Prints the URL alone on stdout; SIGTERM stops it.
 *
 *   node -r @swc-node/register scripts/ci-emulator.ts --expect <file> [--users 50] [--seed 42] [--hours 2160]
 *     [--report-delay <ms>]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { expectedRootKeys, IamEmulator, seedAccount } from '@app/iam-emulator';
import type { KeyQuery } from '../test/support/api-client';
import { expectedRows, wholeSecondNow } from '../test/support/expected-keys';

const { values } = parseArgs({
  options: {
    expect: { type: 'string' },
    users: { type: 'string', default: '50' },
    seed: { type: 'string', default: '42' },
    hours: { type: 'string', default: '2160' },
    'report-delay': { type: 'string', default: '0' },
  },
  strict: true,
});
if (!values.expect) {
  console.error('--expect <file> is required');
  process.exit(2);
}

const seed = Number(values.seed);
const hours = Number(values.hours);
const seededAt = wholeSecondNow();
const account = seedAccount({ seed, users: Number(values.users), now: seededAt, rootAccessKeys: 1 });
const listUsers: KeyQuery = { hours, includeInactive: false };
const credentialReport: KeyQuery = { hours, includeInactive: true };
const expected = {
  list_users: { query: listUsers, rows: expectedRows(account, listUsers, seededAt) },
  credential_report: {
    query: credentialReport,
    rows: expectedRows(account, credentialReport, seededAt),
    root: expectedRootKeys(account, { ...credentialReport, now: seededAt }).map((k) => ({
      slot: k.slot,
      active: k.active,
      last_rotated: k.lastRotated.toISOString(),
    })),
  },
};
writeFileSync(values.expect, JSON.stringify(expected, null, 2));

const emulator = new IamEmulator({ account, seed, reportDelayMs: Number(values['report-delay']) });
emulator.start(0, '127.0.0.1').then(
  (url) => console.log(url),
  (err: unknown) => {
    console.error(`emulator failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
const stop = () => {
  emulator.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
