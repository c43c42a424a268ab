import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplication, Injectable, LoggerService } from '@nestjs/common';

/** Flipped when the process starts draining, so readiness fails and the load balancer stops sending traffic. */
@Injectable()
export class ShutdownState {
  draining = false;
}

export interface GracefulShutdownOptions {
  graceMs: number;
  logger: LoggerService;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * On SIGTERM: stop accepting connections, let in-flight requests finish within the grace period,
 * then close the app (which destroys the IAM client) and exit 0. Returns the function that runs it.
 */
export function installGracefulShutdown(app: INestApplication, options: GracefulShutdownOptions): () => Promise<void> {
  const { graceMs, logger, signals = ['SIGTERM', 'SIGINT'], exit = (code) => process.exit(code) } = options;
  const server = app.getHttpServer() as Server;
  const state = app.get(ShutdownState);
  let inFlight = 0;

  server.on('request', (_req, res) => {
    inFlight++;
    if (state.draining) {
      res.setHeader('Connection', 'close');
    }
    res.on('close', () => {
      inFlight--;
    });
  });

  let running: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    running ??= (async () => {
      state.draining = true;
      logger.log(`Shutting down: draining ${inFlight} in-flight request(s), grace ${graceMs} ms`, 'Shutdown');
      server.close();
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) {
        await sleep(50);
        server.closeIdleConnections();
      }
      if (inFlight > 0) {
        logger.warn(`Grace period over with ${inFlight} request(s) still running; closing them`, 'Shutdown');
      }
      server.closeAllConnections();
      await app.close();
      logger.log('Shut down cleanly', 'Shutdown');
      exit(0);
    })().catch((err: unknown) => {
      logger.error({ err }, 'Shutdown failed', 'Shutdown');
      exit(1);
    });
    return running;
  };

  for (const signal of signals) {
    process.once(signal, () => void shutdown());
  }
  return shutdown;
}
