import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { callerArn, signingKeyOf, type Caller } from './account-router';
import type { CountedRequest } from './account-state';
import { queryAuthError } from './emulator-http';
import { QueryError, queryErrorResponse, queryResponse, type XmlNode } from './query-protocol';
import type { RequestSupport } from './request-support';
import { roleArnAccount, STS_XML_NAMESPACE, type StsActionHandler } from './sts-actions.handler';

/** IAM and STS, both Query protocol on `/`: told apart by the signing service, else by the action. */
export class QueryEndpoint {
  constructor(
    private readonly support: RequestSupport,
    private readonly sts: StsActionHandler,
  ) {}

  async serve(req: IncomingMessage, params: URLSearchParams, res: ServerResponse, arrivedAt: number): Promise<void> {
    const action = params.get('Action') ?? 'Unknown';
    const service = signingKeyOf(req.headers.authorization)?.service;
    if (service === 'sts' || (service === undefined && this.sts.isSupported(action))) {
      await this.stsCall(req, action, params, res, arrivedAt);
    } else {
      await this.iamCall(req, action, params, res, arrivedAt);
    }
  }

  private async iamCall(
    req: IncomingMessage,
    action: string,
    params: URLSearchParams,
    res: ServerResponse,
    arrivedAt: number,
  ): Promise<void> {
    const { support } = this;
    const { caller, failure } = support.identify(req);
    const state = caller?.state;
    const counted = support.count(state, action, true);
    try {
      if (state?.faults.hang.has(action)) {
        await support.holdUnanswered(res);
        return;
      }
      const throttled = state?.bucket ? !state.bucket.tryTake() : false;
      const latencyMs = await support.hold(arrivedAt);
      this.reply(res, action, counted, () => {
        if (failure) {
          throw queryAuthError(failure);
        }
        return this.answerIam(caller, action, params, throttled);
      });
      const totals = counted.counters.map((counters) => counters.latency);
      support.latency.answered(arrivedAt, latencyMs, totals);
    } finally {
      counted.done();
    }
  }

  private answerIam(caller: Caller, action: string, params: URLSearchParams, throttled: boolean): XmlNode | undefined {
    const { faults, handler } = caller.state;
    if (throttled) {
      throw new QueryError('Throttling', 400, 'Rate exceeded');
    }
    const burst = faults.serverErrors;
    if (burst.count > 0) {
      burst.count--;
      throw burst.status === 503
        ? new QueryError('ServiceUnavailable', 503, 'Service is unavailable. Please try again later.')
        : new QueryError('ServiceFailure', 500, 'The request processing has failed because of an unknown error.');
    }
    if (faults.accessDenied.has(action)) {
      throw new QueryError(
        'AccessDenied',
        403,
        `User: ${callerArn(caller)} is not authorized to perform: iam:${action}`,
      );
    }
    if (!handler.isSupported(action)) {
      throw new QueryError('InvalidAction', 400, `Could not find operation ${action} for version 2010-05-08`);
    }
    return handler.handle(action, params);
  }

  /** AssumeRole counts in the account whose role it asks for, the rest in the caller's. */
  private async stsCall(
    req: IncomingMessage,
    action: string,
    params: URLSearchParams,
    res: ServerResponse,
    arrivedAt: number,
  ): Promise<void> {
    const { support, sts } = this;
    const { caller, failure } = support.identify(req);
    const counted = support.count(
      action === 'AssumeRole' ? support.router.get(roleArnAccount(params.get('RoleArn')) ?? '') : caller?.state,
      action,
    );
    if (caller?.state.faults.hang.has(action)) {
      await support.holdUnanswered(res);
      return;
    }
    await support.hold(arrivedAt);
    this.reply(
      res,
      action,
      counted,
      () => {
        if (failure) {
          throw queryAuthError(failure);
        }
        if (caller.state.faults.accessDenied.has(action)) {
          const message = `User: ${callerArn(caller)} is not authorized to perform: sts:${action}`;
          throw new QueryError('AccessDenied', 403, message);
        }
        if (!sts.isSupported(action)) {
          throw new QueryError('InvalidAction', 400, `Could not find operation ${action} for version 2011-06-15`);
        }
        return sts.handle(action, params, caller);
      },
      STS_XML_NAMESPACE,
    );
  }

  /** Writes what `answer` returns, or the QueryError it throws (counted), as Query XML. */
  private reply(
    res: ServerResponse,
    action: string,
    counted: CountedRequest,
    answer: () => XmlNode | undefined,
    namespace?: string,
  ): void {
    const requestId = randomUUID();
    let status = 200;
    let xml: string;
    try {
      xml = queryResponse(action, answer(), requestId, namespace);
    } catch (err) {
      if (!(err instanceof QueryError)) {
        throw err;
      }
      counted.failed(err.code, action);
      status = err.status;
      xml = queryErrorResponse(err, requestId, namespace);
    }
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(xml);
  }
}
