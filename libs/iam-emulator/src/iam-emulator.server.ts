import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccountRouter } from './account-router';
import { CounterBox } from './account-state';
import { DEFAULT_REPORT_TTL_MS } from './credential-report.generator';
import { EmulatedLatency } from './emulated-latency';
import { readBody, sendJson } from './emulator-http';
import type { IamAccount } from './iam-account.model';
import type { EmulatorCounters, EmulatorFaultSettings, IamEmulatorOptions } from './iam-emulator.types';
import { OrganizationsEndpoint, SesEndpoint } from './json-endpoints';
import { targetOperation } from './json-protocol';
import { OrganizationsActionHandler, ORGANIZATIONS_TARGET_PREFIX } from './organizations-actions.handler';
import { QueryEndpoint } from './query-endpoint';
import { RequestSupport } from './request-support';
import { SeededRandom } from './seeded-random';
import type { CapturedEmail } from './ses-outbox';
import { DEFAULT_MEMBER_ROLE_NAME, StsActionHandler } from './sts-actions.handler';
import { TokenBucket } from './token-bucket';

export const SES_SEND_EMAIL_PATH = '/v2/email/outbound-emails';
const ADMIN_PREFIX = '/_emulator/';

/**
 * A local stand-in for IAM and STS (Query protocol, XML), Organizations (JSON 1.1) and SES v2 SendEmail (REST
 * JSON) on one HTTP port, so the unmodified AWS SDK clients run their whole stack (signing, parsing, paging,
 * retries) against it. One account, or an organization of them; each request is served by the account of the
 * key that signed it.
 */
export class IamEmulator {
  /** The default account, or the organization's management account. */
  readonly account: IamAccount;
  /** The faults of `account`; see accountFaults() for the others. */
  readonly faults: EmulatorFaultSettings;
  /** Account ids whose role AssumeRole refuses (AccessDenied). */
  readonly assumeRoleDenied: Set<string>;
  /** Every email SES accepted, oldest first. */
  readonly sentEmails: CapturedEmail[] = [];
  private readonly global = new CounterBox();
  private readonly router: AccountRouter;
  private readonly query: QueryEndpoint;
  private readonly organizations: OrganizationsEndpoint;
  private readonly ses: SesEndpoint;
  private stopping = new AbortController();
  private server?: Server;
  private baseUrl?: string;

  constructor(options: IamEmulatorOptions = {}) {
    const clock = options.clock ?? Date.now;
    this.assumeRoleDenied = new Set(options.faults?.assumeRoleDenied);
    this.router = new AccountRouter(
      options,
      {
        rateLimit: options.rateLimit,
        reportDelayMs: options.reportDelayMs ?? 0,
        reportTtlMs: options.reportTtlMs ?? DEFAULT_REPORT_TTL_MS,
        clock,
        assumeRoleDenied: this.assumeRoleDenied,
      },
      clock,
    );
    this.account = this.router.base.account;
    this.faults = this.router.base.faults;
    const latency = new EmulatedLatency(options.latencyMs, new SeededRandom(options.seed ?? 1));
    const support = new RequestSupport(
      this.router,
      this.global,
      latency,
      options.requireAuth !== false,
      () => this.stopping.signal,
    );
    const sts = new StsActionHandler({
      router: this.router,
      memberRoleName: options.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME,
      otherRoleNames: options.otherRoleNames,
      requiredExternalId: options.requiredExternalId,
      sessionTtlSeconds: options.sessionTtlSeconds,
      clock,
    });
    this.query = new QueryEndpoint(support, sts);
    const organizations = new OrganizationsActionHandler({
      organization: this.router.organization,
      accounts: (id) => this.router.require(id),
    });
    this.organizations = new OrganizationsEndpoint(support, organizations);
    this.ses = new SesEndpoint(support, {
      faults: this.faults,
      bucket: options.sesRateLimit ? new TokenBucket(options.sesRateLimit) : undefined,
      sentEmails: this.sentEmails,
    });
  }

  /** Across every account, a live view; use resetCounters() between phases of a test. */
  get counters(): Readonly<EmulatorCounters> {
    return this.global.value;
  }

  /** One account's share of the counters (AssumeRole counts in the account whose role was assumed). */
  countersFor(accountId: string): Readonly<EmulatorCounters> {
    return this.router.require(accountId).counters.value;
  }

  /** The live fault settings of one account. */
  accountFaults(accountId: string): EmulatorFaultSettings {
    return this.router.require(accountId).faults;
  }

  iamAccount(accountId: string): IamAccount {
    return this.router.require(accountId).account;
  }

  get accountIds(): string[] {
    return this.router.all().map((state) => state.id);
  }

  /** AssumeRole sessions remembered, live or expired. */
  get sessionCount(): number {
    return this.router.sessions.size;
  }

  get url(): string {
    if (!this.baseUrl) {
      throw new Error('IamEmulator is not started');
    }
    return this.baseUrl;
  }

  /** Starts listening (port 0 picks a free one) and resolves to the endpoint URL for every SDK client. */
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

  /** Every account's counters and the totals. */
  resetCounters(): void {
    this.global.reset();
    this.router.all().forEach((state) => state.counters.reset());
  }

  /** The next `count` IAM requests to the account (default: the base one) fail with 500 or 503. */
  failNextRequests(count: number, status: 500 | 503 = 500, accountId = this.router.base.id): void {
    this.router.require(accountId).faults.serverErrors = { count, status };
  }

  /** The account's report answers ReportExpired until GenerateCredentialReport starts a new one. */
  expireCredentialReport(accountId = this.router.base.id): void {
    this.router.require(accountId).report.expire();
  }

  /** Back to "no report was ever generated" (ReportNotPresent). */
  discardCredentialReport(accountId = this.router.base.id): void {
    this.router.require(accountId).report.discard();
  }

  clearSentEmails(): void {
    this.sentEmails.length = 0;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = performance.now();
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const operation = targetOperation(req.headers['x-amz-target'], ORGANIZATIONS_TARGET_PREFIX);
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      this.admin(req.method ?? 'GET', url.pathname.slice(ADMIN_PREFIX.length), res);
    } else if (url.pathname === SES_SEND_EMAIL_PATH && req.method === 'POST') {
      await this.ses.serve(req, body, res, arrivedAt);
    } else if (url.pathname === '/' && operation !== undefined) {
      await this.organizations.serve(req, operation, body, res, arrivedAt);
    } else if (url.pathname === '/') {
      const params = new URLSearchParams(body);
      url.searchParams.forEach((value, name) => params.append(name, value));
      await this.query.serve(req, params, res, arrivedAt);
    } else {
      sendJson(res, 404, { message: `No route for ${req.method} ${url.pathname}` }, 'UnknownOperationException');
    }
  }

  private admin(method: string, path: string, res: ServerResponse): void {
    const accountCounters = /^counters\/(\d{12})$/.exec(path);
    if (method === 'GET' && path === 'health') {
      sendJson(res, 200, { status: 'ok', users: this.account.userCount, accounts: this.router.all().length });
    } else if (method === 'GET' && path === 'counters') {
      sendJson(res, 200, this.counters);
    } else if (method === 'GET' && accountCounters && this.router.get(accountCounters[1])) {
      sendJson(res, 200, this.countersFor(accountCounters[1]));
    } else if (method === 'POST' && path === 'reset-counters') {
      this.resetCounters();
      sendJson(res, 200, this.counters);
    } else if (method === 'GET' && path === 'emails') {
      sendJson(res, 200, this.sentEmails);
    } else if (method === 'DELETE' && path === 'emails') {
      this.clearSentEmails();
      sendJson(res, 200, []);
    } else {
      sendJson(res, 404, { message: `No admin route ${method} ${path}` });
    }
  }
}
