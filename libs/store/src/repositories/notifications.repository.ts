import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { StoreEngine } from '../engine/store-engine';
import { notifications } from '../schema';
import { STORE_ENGINE } from '../store.constants';

export interface SentNotification {
  accountId: string;
  accessKeyId: string;
  /** `warning`, `final`, `expired` or `reminder-N`. */
  stage: string;
  recipient: string;
  sesMessageId: string;
  sentAt: Date;
}

@Injectable()
export class NotificationsRepository {
  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /**
   * Records an email SES accepted. A key's stage is recorded once: false means another run recorded it first,
   * and the earlier record stands.
   */
  async record(sent: SentNotification): Promise<boolean> {
    const inserted = await this.engine.db
      .insert(notifications)
      .values(sent)
      .onConflictDoNothing({
        target: [notifications.accountId, notifications.accessKeyId, notifications.stage],
        // Rows of a ladder are unique per ladder instead (LadderRepository.recordStage).
        where: sql`ladder_id IS NULL`,
      })
      .returning({ id: notifications.id });
    return inserted.length === 1;
  }

  async find(accountId: string, accessKeyId: string, stage: string): Promise<SentNotification | null> {
    const rows = await this.select(
      and(
        eq(notifications.accountId, accountId),
        eq(notifications.accessKeyId, accessKeyId),
        eq(notifications.stage, stage),
      ),
    );
    return rows[0] ?? null;
  }

  async forKey(accountId: string, accessKeyId: string): Promise<SentNotification[]> {
    return this.select(and(eq(notifications.accountId, accountId), eq(notifications.accessKeyId, accessKeyId)));
  }

  private select(where: ReturnType<typeof and>) {
    return this.engine.db
      .select({
        accountId: notifications.accountId,
        accessKeyId: notifications.accessKeyId,
        stage: notifications.stage,
        recipient: notifications.recipient,
        sesMessageId: notifications.sesMessageId,
        sentAt: notifications.sentAt,
      })
      .from(notifications)
      .where(where)
      .orderBy(asc(notifications.sentAt), asc(notifications.id));
  }
}
