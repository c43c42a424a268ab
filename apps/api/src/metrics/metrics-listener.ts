import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MetricsService } from '@app/observability';
import { apiConfig, type ApiConfig } from '../config/api.config';

function sendError(res: ServerResponse, statusCode: number, error: string, message: string): void {
  const code = error.toUpperCase().replace(/ /g, '_');
  res.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ statusCode, error, code, message }));
}

/**
 * Serves Prometheus' /metrics on METRICS_PORT, apart from the API port: NetworkPolicies filter ports, not
 * paths, so only a port of its own lets the monitoring namespace scrape while the ingress cannot.
 * It opens with the app and closes last, so scrapes keep working while requests drain.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    @Inject(apiConfig.KEY) private readonly config: ApiConfig,
    private readonly metrics: MetricsService,
  ) {}

  /** Where the listener answers, e.g. `http://127.0.0.1:9464`. */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) {
      throw new Error('The metrics listener is not listening');
    }
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`Metrics on ${this.url}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      sendError(res, 404, 'Not Found', 'This port serves GET /metrics only');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendError(res, 405, 'Method Not Allowed', 'Use GET /metrics');
      return;
    }
    try {
      const body = await this.metrics.render();
      res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      this.logger.error({ err }, 'Rendering metrics failed');
      sendError(res, 500, 'Internal Server Error', 'Rendering metrics failed');
    }
  }
}
