import { expectedOldKeys, type IamAccount } from '@app/iam-emulator';
import type { KeyQuery } from './api-client';

const HOUR_MS = 3_600_000;

/**
 * How long after `seededAt` a test may still be asking. Seeded ages are fixed relative to `seededAt`,
 * so whether a key sits this close to a threshold depends on the seed only: the guard below either
 * always passes or always fails for a given seed, never flakes.
 */
export const ANSWER_WINDOW_MS = 3 * 60_000;

function rows(account: IamAccount, query: KeyQuery, now: Date): string[] {
  return expectedOldKeys(account, { ...query, now }).map(
    (k) => `${k.userName} ${k.accessKeyId} ${k.status} ${k.createdDate.toISOString()}`,
  );
}

/**
 * The rows (see keyRows) a correct answer holds, oldest first, for any instant in the answer window.
 * Throws when a key crosses the threshold inside the window, which would make the expectation depend
 * on how fast the test runs.
 */
export function expectedRows(account: IamAccount, query: KeyQuery, seededAt: Date): string[] {
  const early = rows(account, query, seededAt);
  const late = rows(account, query, new Date(seededAt.getTime() + ANSWER_WINDOW_MS));
  if (early.join('\n') !== late.join('\n')) {
    throw new Error(`A key is within ${ANSWER_WINDOW_MS} ms of ${query.hours} h: pick another seed`);
  }
  return early;
}

/** Key ids in the same order as expectedRows. */
export function expectedIds(account: IamAccount, query: KeyQuery, seededAt: Date): string[] {
  return expectedRows(account, query, seededAt).map((row) => row.split(' ')[1]);
}

/** Users a list-users scan must ask ListAccessKeys about: those not younger than the threshold. */
export function usersOlderThan(account: IamAccount, hours: number, seededAt: Date): string[] {
  const names = (now: number) =>
    account
      .listUsers()
      .filter((u) => u.createDate.getTime() <= now - hours * HOUR_MS)
      .map((u) => u.userName);
  const early = names(seededAt.getTime());
  const late = names(seededAt.getTime() + ANSWER_WINDOW_MS);
  if (early.length !== late.length) {
    throw new Error(`A user is within ${ANSWER_WINDOW_MS} ms of ${hours} h: pick another seed`);
  }
  return early;
}

/** Users whose credential report row shows an old key slot: the only ones the report strategy resolves. */
export function candidateUsers(account: IamAccount, query: KeyQuery, seededAt: Date): string[] {
  return [...new Set(expectedRows(account, query, seededAt).map((row) => row.split(' ')[0]))].sort();
}

/** Whole-second seeding instant, as the credential report has no milliseconds. */
export function wholeSecondNow(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}
