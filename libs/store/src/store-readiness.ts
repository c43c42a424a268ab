import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { StoreEngine } from './engine/store-engine';
import { pendingMigrations, runMigrations, type Migration } from './migrate/migration-runner';
import { STORE_ENGINE, STORE_MIGRATIONS } from './store.constants';

export interface StoreState {
  ready: boolean;
  engine: StoreEngine['kind'];
  pendingMigrations: string[];
}

/** Runs the migrations at init (boot stops if one fails), says whether the store is ready, closes it at shutdown. */
@Injectable()
export class StoreReadiness implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Store');
  private migrated = false;

  constructor(
    @Inject(STORE_ENGINE) private readonly engine: StoreEngine,
    @Inject(STORE_MIGRATIONS) private readonly migrations: Migration[],
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await this.engine.withSession((s) => runMigrations(s, this.migrations));
    this.migrated = true;
    this.logger.log(
      `Store ready: ${this.engine.display}; ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'schema up to date'}`,
    );
  }

  get engineKind(): StoreEngine['kind'] {
    return this.engine.kind;
  }

  /** Not ready until this process has migrated and the database has every migration it knows. */
  async state(): Promise<StoreState> {
    const pending = await this.engine.withSession((s) => pendingMigrations(s, this.migrations));
    return { ready: this.migrated && pending.length === 0, engine: this.engine.kind, pendingMigrations: pending };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine.close();
  }
}
