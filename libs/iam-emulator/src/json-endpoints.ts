import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonAuthError, sendJson, sesAuthError } from './emulator-http';
import type { EmulatorFaultSettings } from './iam-emulator.types';
import { AMZ_JSON_1_1, jsonErrorBody, JsonError, parseJsonInput } from './json-protocol';
import type { OrganizationsActionHandler } from './organizations-actions.handler';
import type { RequestSupport } from './request-support';
import { parseSendEmail, recipientsOf, SesError, type CapturedEmail } from './ses-outbox';
import type { TokenBucket } from './token-bucket';

/** Organizations over JSON 1.1 (`X-Amz-Target: AWSOrganizationsV20161128.<Operation>`). */
export class OrganizationsEndpoint {
  constructor(
    private readonly support: RequestSupport,
    private readonly handler: OrganizationsActionHandler,
  ) {}

  async serve(
    req: IncomingMessage,
    operation: string,
    body: string,
    res: ServerResponse,
    arrivedAt: number,
  ): Promise<void> {
    const { support, handler } = this;
    const { caller, failure } = support.identify(req);
    const counted = support.count(caller?.state, operation);
    if (caller?.state.faults.hang.has(operation)) {
      await support.holdUnanswered(res);
      return;
    }
    await support.hold(arrivedAt);
    try {
      if (failure) {
        throw jsonAuthError(failure);
      }
      if (caller.state.faults.accessDenied.has(operation)) {
        throw new JsonError('AccessDeniedException', 400, `You don't have permissions to call ${operation}.`);
      }
      if (!handler.isSupported(operation)) {
        throw new JsonError('UnknownOperationException', 400, `Unknown operation ${operation}`);
      }
      sendJson(res, 200, handler.handle(operation, parseJsonInput(body), caller), undefined, AMZ_JSON_1_1);
    } catch (err) {
      if (!(err instanceof JsonError)) {
        throw err;
      }
      counted.failed(err.type, operation);
      res.writeHead(err.status, { 'content-type': AMZ_JSON_1_1, 'x-amzn-requestid': randomUUID() });
      res.end(jsonErrorBody(err));
    }
  }
}

export interface SesEndpointContext {
  /** The base account's faults: SES belongs to the account that sends the notices. */
  faults: EmulatorFaultSettings;
  bucket?: TokenBucket;
  sentEmails: CapturedEmail[];
}

/** SES v2 SendEmail (REST JSON): one outbox for the whole emulator. */
export class SesEndpoint {
  constructor(
    private readonly support: RequestSupport,
    private readonly context: SesEndpointContext,
  ) {}

  async serve(req: IncomingMessage, body: string, res: ServerResponse, arrivedAt: number): Promise<void> {
    const { support } = this;
    const { faults, bucket, sentEmails } = this.context;
    const { caller, failure } = support.identify(req);
    const counted = support.count(caller?.state, 'SendEmail');
    if (faults.hang.has('SendEmail')) {
      await support.holdUnanswered(res);
      return;
    }
    await support.hold(arrivedAt);
    try {
      if (failure) {
        throw sesAuthError(failure);
      }
      if (faults.throttleSendEmail > 0 || (bucket && !bucket.tryTake())) {
        faults.throttleSendEmail = Math.max(0, faults.throttleSendEmail - 1);
        throw new SesError('TooManyRequestsException', 429, 'Maximum sending rate exceeded.');
      }
      const email = parseSendEmail(body);
      const rejected = new Set([...faults.rejectRecipients].map((address) => address.toLowerCase()));
      const refused = recipientsOf(email).filter((address) => rejected.has(address.toLowerCase()));
      if (refused.length > 0) {
        throw new SesError(
          'MessageRejected',
          400,
          `Email address is not verified. The following identities failed the check in region US-EAST-1: ${refused.join(', ')}`,
        );
      }
      sentEmails.push(email);
      sendJson(res, 200, { MessageId: email.messageId });
    } catch (err) {
      if (!(err instanceof SesError)) {
        throw err;
      }
      counted.failed(err.code, 'SendEmail', err.code === 'TooManyRequestsException');
      sendJson(res, err.status, { message: err.message }, err.code);
    }
  }
}
