import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthFailure } from './account-router';
import { JsonError } from './json-protocol';
import { QueryError } from './query-protocol';
import { SesError } from './ses-outbox';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
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

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  errorType?: string,
  contentType = 'application/json',
): void {
  const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-requestid': randomUUID() };
  if (errorType) {
    headers['x-amzn-errortype'] = errorType;
  }
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

/** The JSON services' names for the same failures (JSON 1.1 and SES's REST JSON). */
const JSON_AUTH_TYPES: Record<AuthFailure['reason'], string> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  InvalidClientTokenId: 'UnrecognizedClientException',
  ExpiredToken: 'ExpiredTokenException',
};

export function queryAuthError(failure: AuthFailure): QueryError {
  return new QueryError(failure.reason, 403, failure.message);
}

export function jsonAuthError(failure: AuthFailure): JsonError {
  return new JsonError(JSON_AUTH_TYPES[failure.reason], 403, failure.message);
}

export function sesAuthError(failure: AuthFailure): SesError {
  return new SesError(JSON_AUTH_TYPES[failure.reason], 403, failure.message);
}
