import { createHash } from 'node:crypto';
import type { Shard } from '../config/scans.config';

/**
 * The shard an account belongs to: a hash of its id, so the split is the same in every pod and every run and
 * does not depend on the order Organizations lists accounts in. Each account's IAM budget is spent by one pod.
 */
export function shardOf(accountId: string, count: number): number {
  const digest = createHash('sha256').update(accountId).digest();
  return digest.readUInt32BE(0) % count;
}

export function inShard(accountId: string, shard: Shard | undefined): boolean {
  return shard === undefined || shardOf(accountId, shard.count) === shard.index;
}

/** How a shard is written in the store: `all`, or `index/count`. */
export function shardLabel(shard: Shard | undefined): string {
  return shard === undefined ? 'all' : `${shard.index}/${shard.count}`;
}
