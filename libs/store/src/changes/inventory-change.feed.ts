import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ChannelSubscription, StoreEngine } from '../engine/store-engine';
import { STORE_ENGINE } from '../store.constants';

/** Raised by migration 005's triggers on every write to the tables the stored inventory is answered from. */
export const INVENTORY_CHANGED_CHANNEL = 'inventory_changed';

/**
 * Tells readers that keep answers built from the stored inventory when to drop them: a change written by any
 * process (heard through LISTEN), one written by this process (told directly, so it is never heard late), and
 * a lost subscription (changes may go unheard: nothing may be reused until it is back). Listens only once
 * someone subscribes: processes that keep no answers hold no connection for it.
 */
@Injectable()
export class InventoryChangeFeed implements OnModuleDestroy {
  private readonly logger = new Logger('Store');
  private readonly subscribers = new Set<() => void>();
  private subscription?: Promise<ChannelSubscription | undefined>;
  private listening = false;
  private generation = 0;

  constructor(@Inject(STORE_ENGINE) private readonly engine: StoreEngine) {}

  /** Moves on every change, loss or regain: an answer is exact only while the version it was built at holds. */
  get version(): number {
    return this.generation;
  }

  /** Whether changes are heard now. When false, an answer from the store is good for its own instant only. */
  get live(): boolean {
    return this.listening;
  }

  /** Starts listening if nobody did yet; `changed` runs on each change. Resolves once the first LISTEN is tried. */
  async subscribe(changed: () => void): Promise<() => void> {
    this.subscribers.add(changed);
    this.subscription ??= this.engine
      .listen(INVENTORY_CHANGED_CHANNEL, {
        notified: () => this.changed(),
        heard: (listening) => {
          if (listening !== this.listening) {
            this.listening = listening;
            this.logger.log(
              listening
                ? 'Hearing inventory changes: stored answers are reused until the next change'
                : 'Inventory changes not heard (store connection lost): stored answers are not reused until it is back',
            );
          }
          this.changed();
        },
      })
      .catch((err: unknown) => {
        this.logger.warn(`Cannot listen for inventory changes: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
    await this.subscription;
    return () => this.subscribers.delete(changed);
  }

  /** A write this process just committed: its readers hear it now, not when the notification comes back. */
  changedHere(): void {
    this.changed();
  }

  async onModuleDestroy(): Promise<void> {
    const subscription = await this.subscription;
    this.listening = false;
    await subscription?.stop();
  }

  private changed(): void {
    this.generation++;
    for (const subscriber of this.subscribers) {
      subscriber();
    }
  }
}
