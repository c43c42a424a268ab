import { Inject, Injectable } from '@nestjs/common';
import { asc, sql } from 'drizzle-orm';
import type { StoreDb, StoreEngine, StoreTx } from '../engine/store-engine';
import { accounts } from '../schema';
import { STORE_ENGINE } from '../store.constants';

export interface StoredAccount {
  accountId: string;
  name: string | null;
  firstSeen: Date;
  lastSeen: Date;
}

@Injectable()
export class AccountsRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /** Upserting locks the account's row until the transaction ends, so two writers of one account take turns. */
  async upsert(accountId: string, name: string | null | undefined, at: Date, db: StoreDb | StoreTx = this.engine.db) {
    await db
      .insert(accounts)
      .values({ accountId, name: name ?? null, firstSeen: at, lastSeen: at })
      .onConflictDoUpdate({
        target: accounts.accountId,
        set: {
          name: sql`coalesce(excluded.name, ${accounts.name})`,
          lastSeen: sql`greatest(excluded.last_seen, ${accounts.lastSeen})`,
        },
      });
  }

  async list(): Promise<StoredAccount[]> {
    return this.engine.db.select().from(accounts).orderBy(asc(accounts.accountId));
  }
}
