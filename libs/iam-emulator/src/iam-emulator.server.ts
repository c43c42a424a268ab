import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatedLatency, emptyLatencyTotals } from './emulated-latency';
import { CredentialReportGenerator, DEFAULT_REPORT_TTL_MS } from './credential-report.generator';
import { IamActionHandler } from './iam-actions.handler';
import { IamAccount } from './iam-account.model';
import type { EmulatorCounters, EmulatorFaultSettings, IamEmulatorOptions } from './iam-emulator.types';
import { QueryError, queryErrorResponse, queryResponse } from './query-protocol';
import { SeededRandom } from './seeded-random';
import { parseSendEmail, recipientsOf, SesError, type CapturedEmail } from './ses-outbox';
import { TokenBucket } from './token-bucket';

export const SES_SEND_EMAIL_PATH = '/v2/email/outbound-emails';
const ADMIN_PREFIX = '/_emulator/';
const MAX_BODY_BYTES = 10 * 1024 * 1024;

function emptyCounters(inFlight = 0): EmulatorCounters {
  return {
    requests: {},
    throttled: {},
    errors: {},
    totalIamRequests: 0,
    totalErrors: 0,
    inFlight,
    peakInFlight: inFlight,
    latency: emptyLatencyTotals(),
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A local stand-in for IAM (Query protocol, XML) and SES v2 SendEmail (REST JSON) on one HTTP port,
 * so the unmodified AWS SDK clients run their whole stack (signing, parsing, paging, retries) against it.
 */
export class IamEmulator {
  readonly account: IamAccount;
  readonly faults: EmulatorFaultSettings;
  /** Every email SES accepted, oldest first. */
  readonly sentEmails: CapturedEmail[] = [];
  private countersState = emptyCounters();
  private readonly report: CredentialReportGenerator;
  private readonly handler: IamActionHandler;
  private readonly iamBucket?: TokenBucket;
  private readonly sesBucket?: TokenBucket;
  private readonly latency: EmulatedLatency;
  private stopping = new AbortController();
  private server?: Server;
  private baseUrl?: string;

  constructor(private readonly options: IamEmulatorOptions = {}) {
    this.account = options.account ?? new IamAccount();
    this.faults = {
      accessDenied: new Set(options.faults?.accessDenied),
      vanishingUsers: new Set(options.faults?.vanishingUsers),
      serverErrors: { count: 0, status: 500, ...options.faults?.serverErrors },
      reportNeverCompletes: options.faults?.reportNeverCompletes ?? false,
      hang: new Set(options.faults?.hang),
      rejectRecipients: new Set(options.faults?.rejectRecipients),
      throttleSendEmail: options.faults?.throttleSendEmail ?? 0,
    };
    this.report = new CredentialReportGenerator(() => this.account, {
      delayMs: options.reportDelayMs ?? 0,
      ttlMs: options.reportTtlMs ?? DEFAULT_REPORT_TTL_MS,
      clock: options.clock ?? Date.now,
      neverCompletes: () => this.faults.reportNeverCompletes,
    });
    this.handler = new IamActionHandler({
      account: this.account,
      report: this.report,
      vanishingUsers: this.faults.vanishingUsers,
    });
    this.iamBucket = options.rateLimit ? new TokenBucket(options.rateLimit) : undefined;
    this.sesBucket = options.sesRateLimit ? new TokenBucket(options.sesRateLimit) : undefined;
    this.latency = new EmulatedLatency(options.latencyMs, new SeededRandom(options.seed ?? 1));
  }

  /** A live view; use resetCounters() between phases of a test. */
  get counters(): Readonly<EmulatorCounters> {
    return this.countersState;
  }

  get url(): string {
    if (!this.baseUrl) {
      throw new Error('IamEmulator is not started');
    }
    return this.baseUrl;
  }

  /** Starts listening (port 0 picks a free one) and resolves to the endpoint URL for both SDK clients. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) {
      return this.url;
    }
    this.stopping = new AbortController();
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
        }
        res.end(err instanceof Error ? err.message : 'internal error');
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${shownHost}:${address.port}`;
    return this.baseUrl;
  }

  /** Stops listening and drops every connection, idle keep-alive sockets included, so test runners exit. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    this.baseUrl = undefined;
    this.stopping.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  resetCounters(): void {
    this.countersState = emptyCounters(this.countersState.inFlight);
  }

  /** The next `count` IAM requests fail with 500 ServiceFailure or 503 ServiceUnavailable. */
  failNextRequests(count: number, status: 500 | 503 = 500): void {
    this.faults.serverErrors = { count, status };
  }

  /** The current credential report answers ReportExpired until GenerateCredentialReport starts a new one. */
  expireCredentialReport(): void {
    this.report.expire();
  }

  /** Back to "no report was ever generated" (ReportNotPresent). */
  discardCredentialReport(): void {
    this.report.discard();
  }

  clearSentEmails(): void {
    this.sentEmails.length = 0;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = performance.now();
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      this.admin(req.method ?? 'GET', url.pathname.slice(ADMIN_PREFIX.length), res);
    } else if (url.pathname === SES_SEND_EMAIL_PATH && req.method === 'POST') {
      await this.sendEmail(req, body, res, arrivedAt);
    } else if (url.pathname === '/') {
      const params = new URLSearchParams(body);
      url.searchParams.forEach((value, name) => params.append(name, value));
      await this.iam(req, params, res, arrivedAt);
    } else {
      this.json(res, 404, { message: `No route for ${req.method} ${url.pathname}` }, 'UnknownOperationException');
    }
  }

  private async iam(
    req: IncomingMessage,
    params: URLSearchParams,
    res: ServerResponse,
    arrivedAt: number,
  ): Promise<void> {
    const action = params.get('Action') ?? 'Unknown';
    const counters = this.countersState;
    const requestId = randomUUID();
    bump(counters.requests, action);
    counters.totalIamRequests++;
    counters.inFlight++;
    counters.peakInFlight = Math.max(counters.peakInFlight, counters.inFlight);
    try {
      if (this.faults.hang.has(action)) {
        await this.holdUnanswered(res);
        return;
      }
      const throttled = this.iamBucket ? !this.iamBucket.tryTake() : false;
      const latencyMs = this.latency.draw();
      await this.latency.hold(arrivedAt, latencyMs, this.stopping.signal);
      let xml: string;
      let status = 200;
      try {
        xml = queryResponse(action, this.answerIam(req, action, params, throttled), requestId);
      } catch (err) {
        if (!(err instanceof QueryError)) {
          throw err;
        }
        if (err.code === 'Throttling') {
          bump(counters.throttled, action);
        }
        bump(counters.errors, err.code);
        counters.totalErrors++;
        status = err.status;
        xml = queryErrorResponse(err, requestId);
      }
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(xml);
      this.latency.answered(arrivedAt, latencyMs, counters.latency);
    } finally {
      counters.inFlight--;
      if (counters !== this.countersState) {
        this.countersState.inFlight--;
      }
    }
  }

  private answerIam(req: IncomingMessage, action: string, params: URLSearchParams, throttled: boolean) {
    if (this.options.requireAuth !== false && !req.headers.authorization) {
      throw new QueryError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
    }
    if (throttled) {
      throw new QueryError('Throttling', 400, 'Rate exceeded');
    }
    const burst = this.faults.serverErrors;
    if (burst.count > 0) {
      burst.count--;
      throw burst.status === 503
        ? new QueryError('ServiceUnavailable', 503, 'Service is unavailable. Please try again later.')
        : new QueryError('ServiceFailure', 500, 'The request processing has failed because of an unknown error.');
    }
    if (this.faults.accessDenied.has(action)) {
      throw new QueryError(
        'AccessDenied',
        403,
        `User: arn:aws:iam::${this.account.accountId}:user/emulator is not authorized to perform: iam:${action}`,
      );
    }
    if (!this.handler.isSupported(action)) {
      throw new QueryError('InvalidAction', 400, `Could not find operation ${action} for version 2010-05-08`);
    }
    return this.handler.handle(action, params);
  }

  private async sendEmail(req: IncomingMessage, body: string, res: ServerResponse, arrivedAt: number): Promise<void> {
    const counters = this.countersState;
    bump(counters.requests, 'SendEmail');
    if (this.faults.hang.has('SendEmail')) {
      await this.holdUnanswered(res);
      return;
    }
    await this.latency.hold(arrivedAt, this.latency.draw(), this.stopping.signal);
    try {
      if (this.options.requireAuth !== false && !req.headers.authorization) {
        throw new SesError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
      }
      if (this.faults.throttleSendEmail > 0 || (this.sesBucket && !this.sesBucket.tryTake())) {
        this.faults.throttleSendEmail = Math.max(0, this.faults.throttleSendEmail - 1);
        bump(counters.throttled, 'SendEmail');
        throw new SesError('TooManyRequestsException', 429, 'Maximum sending rate exceeded.');
      }
      const email = parseSendEmail(body);
      const rejected = new Set([...this.faults.rejectRecipients].map((address) => address.toLowerCase()));
      const refused = recipientsOf(email).filter((address) => rejected.has(address.toLowerCase()));
      if (refused.length > 0) {
        throw new SesError(
          'MessageRejected',
          400,
          `Email address is not verified. The following identities failed the check in region US-EAST-1: ${refused.join(', ')}`,
        );
      }
      this.sentEmails.push(email);
      this.json(res, 200, { MessageId: email.messageId });
    } catch (err) {
      if (!(err instanceof SesError)) {
        throw err;
      }
      bump(counters.errors, err.code);
      counters.totalErrors++;
      this.json(res, err.status, { message: err.message }, err.code);
    }
  }

  /** Until the client closes the connection or the emulator stops (which closes every connection). */
  private holdUnanswered(res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      res.once('close', () => resolve());
      this.stopping.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  private admin(method: string, path: string, res: ServerResponse): void {
    if (method === 'GET' && path === 'health') {
      this.json(res, 200, { status: 'ok', users: this.account.userCount });
    } else if (method === 'GET' && path === 'counters') {
      this.json(res, 200, this.countersState);
    } else if (method === 'POST' && path === 'reset-counters') {
      this.resetCounters();
      this.json(res, 200, this.countersState);
    } else if (method === 'GET' && path === 'emails') {
      this.json(res, 200, this.sentEmails);
    } else if (method === 'DELETE' && path === 'emails') {
      this.clearSentEmails();
      this.json(res, 200, []);
    } else {
      this.json(res, 404, { message: `No admin route ${method} ${path}` });
    }
  }

  private json(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() };
    if (errorType) {
      headers['x-amzn-errortype'] = errorType;
    }
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  }
}
