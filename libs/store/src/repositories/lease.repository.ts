import { Inject, Injectable } from '@nestjs/common';
import { and, eq, lte, sql } from 'drizzle-orm';
import type { StoreEngine } from '../engine/store-engine';
import { leases } from '../schema';
import { STORE_ENGINE } from '../store.constants';

/**
 * Named leases in the store: whoever holds one unexpired is the only one doing its work (the scan scheduler
 * among API replicas). A table row rather than an advisory lock: it behaves the same on both engines and needs
 * no connection held open, and a holder that dies loses it when it expires.
 */
@Injectable()
export class LeaseRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /** Takes or renews the lease; true when `holder` holds it until now + ttl. */
  async acquire(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    const rows = await this.engine.db
      .insert(leases)
      .values({ name, holder, expiresAt })
      .onConflictDoUpdate({
        target: leases.name,
        set: { holder, expiresAt },
        setWhere: sql`${leases.holder} = ${holder} OR ${leases.expiresAt} <= ${now}`,
      })
      .returning({ holder: leases.holder });
    return rows.length === 1 && rows[0].holder === holder;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.engine.db.delete(leases).where(and(eq(leases.name, name), eq(leases.holder, holder)));
  }

  /** Forgets leases that expired. */
  async sweep(now: Date): Promise<void> {
    await this.engine.db.delete(leases).where(lte(leases.expiresAt, now));
  }

  async holder(name: string, now: Date): Promise<string | null> {
    const [row] = await this.engine.db.select().from(leases).where(eq(leases.name, name));
    return row && row.expiresAt > now ? row.holder : null;
  }
}
