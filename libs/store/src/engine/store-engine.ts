import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Mutex } from 'async-mutex';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { Client, Pool } from 'pg';
import type { StoreConnection } from '../config/store.config';
import { storeSchema } from '../schema';
import { acquireDataDirLock } from './data-dir-lock';

export type StoreDb = PgDatabase<PgQueryResultHKT, typeof storeSchema>;
export type StoreTx = Parameters<Parameters<StoreDb['transaction']>[0]>[0];

/** One connection held for a while: the migration runner needs its session-level advisory lock on one. */
export interface SqlSession {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Several statements in one go, no parameters. */
  exec(sql: string): Promise<void>;
}

export interface StoreEngine {
  readonly kind: StoreConnection['engine'];
  readonly db: StoreDb;
  /** Where it stores, without secrets. */
  readonly display: string;
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Hears NOTIFY on `channel` from every session (this process's and others'). `heard(false)` when the
   * subscription is lost (notifications may be missed until `heard(true)` says it is back); stop() ends it.
   */
  listen(channel: string, handlers: ChannelHandlers): Promise<ChannelSubscription>;
  close(): Promise<void>;
}

export interface ChannelHandlers {
  notified: (payload: string) => void;
  /** True once listening (again), false when the subscription was lost. */
  heard: (listening: boolean) => void;
}

export interface ChannelSubscription {
  stop(): Promise<void>;
}

const CHANNEL_NAME = /^[a-z_]+$/;
/** A lost PostgreSQL listener tries again after this long. */
export const LISTEN_RETRY_MS = 1_000;

// PGlite's default reserves far more than a small deployment uses; 128 MiB keeps its RSS near 250-300 MB.
const PGLITE_INITIAL_MEMORY = 128 * 1024 * 1024;

export async function openStoreEngine(connection: StoreConnection): Promise<StoreEngine> {
  switch (connection.engine) {
    case 'pglite':
      return openPglite(connection.dataDir, connection.display);
    case 'postgres':
      return openPostgres(connection);
    default: {
      const _exhaustive: never = connection;
      throw new Error(`Unknown store engine ${String(_exhaustive)}`);
    }
  }
}

async function openPglite(dataDir: string, display: string): Promise<StoreEngine> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  // PGlite has no postmaster.pid: two processes on one folder would both write it and corrupt it.
  const lock = acquireDataDirLock(dir);
  let client: PGlite;
  try {
    client = await PGlite.create({ dataDir: dir, initialMemory: PGLITE_INITIAL_MEMORY });
  } catch (err) {
    lock.release();
    throw new Error(`Cannot open the embedded store in ${dir}: ${describeError(err)}`);
  }
  const db: StoreDb = drizzlePglite({ client, schema: storeSchema });
  const sessions = new Mutex();
  const session: SqlSession = {
    query: async <R>(sql: string, params?: unknown[]) => (await client.query<R>(sql, params)).rows,
    exec: async (sql: string) => {
      await client.exec(sql);
    },
  };
  return {
    kind: 'pglite',
    db,
    display,
    // One connection only: sessions take turns, or two migration runners would share one advisory lock.
    withSession: (work) => sessions.runExclusive(() => work(session)),
    listen: async (channel, handlers) => {
      checkChannel(channel);
      const unlisten = await client.listen(channel, (payload) => handlers.notified(payload));
      handlers.heard(true);
      return {
        stop: async () => {
          if (!client.closed) {
            await unlisten();
          }
        },
      };
    },
    close: async () => {
      try {
        if (!client.closed) {
          await client.close();
        }
      } finally {
        lock.release();
      }
    },
  };
}

async function openPostgres(connection: Extract<StoreConnection, { engine: 'postgres' }>): Promise<StoreEngine> {
  const pool = new Pool({
    connectionString: connection.url,
    max: connection.poolMax,
    connectionTimeoutMillis: connection.connectTimeoutMs,
    statement_timeout: connection.statementTimeoutMs,
    application_name: 'iam-key-monitor',
  });
  // An idle client's error (server restarted) would otherwise crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    const probe = await pool.connect();
    probe.release();
  } catch (err) {
    await pool.end();
    throw new Error(`Cannot connect to PostgreSQL at ${connection.display}: ${describeError(err)}`);
  }
  const db: StoreDb = drizzlePg({ client: pool, schema: storeSchema });
  return {
    kind: 'postgres',
    db,
    display: connection.display,
    withSession: async (work) => {
      const client = await pool.connect();
      try {
        return await work({
          query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
          exec: async (sql: string) => {
            await client.query(sql);
          },
        });
      } finally {
        client.release();
      }
    },
    listen: (channel, handlers) => listenPostgres(connection, channel, handlers),
    close: () => pool.end(),
  };
}

function checkChannel(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) {
    throw new Error(`Not a channel name: ${channel}`);
  }
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed to queries and lose it), connected again
 * after it drops: while it is down the subscriber is told nothing is heard, since notifications are missed.
 */
async function listenPostgres(
  connection: Extract<StoreConnection, { engine: 'postgres' }>,
  channel: string,
  handlers: ChannelHandlers,
): Promise<ChannelSubscription> {
  checkChannel(channel);
  let stopped = false;
  let current: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const attempt = async (): Promise<void> => {
    const client = new Client({
      connectionString: connection.url,
      connectionTimeoutMillis: connection.connectTimeoutMs,
      application_name: 'iam-key-monitor-listen',
    });
    client.on('notification', (message) => {
      if (message.channel === channel) {
        handlers.notified(message.payload ?? '');
      }
    });
    client.on('error', () => undefined);
    let lost = false;
    const onLost = () => {
      if (lost) {
        return;
      }
      lost = true;
      current = undefined;
      if (!stopped) {
        handlers.heard(false);
        retry = setTimeout(() => void attempt(), LISTEN_RETRY_MS);
        retry.unref();
      }
    };
    client.on('end', onLost);
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch {
      onLost();
      await client.end().catch(() => undefined);
      return;
    }
    if (stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    current = client;
    handlers.heard(true);
  };
  await attempt();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await current?.end().catch(() => undefined);
    },
  };
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
