import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LoggerService } from '@nestjs/common';
import { httpErrorCode, httpReason } from './error-body';
import { markExpectationFailed } from './json-body.middleware';
import { SECURITY_HEADERS } from './security-headers.middleware';

export interface HttpServerLimits {
  /** Time for a request's headers to arrive; also how long a new connection may stay silent. */
  headersTimeoutMs: number;
  /** Time for a whole request (headers and body) to arrive; the answer itself is not bounded by it. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections at once; more are closed as they arrive. */
  maxConnections: number;
  /** Headers read per request; Node ignores any beyond. */
  maxHeadersCount: number;
}

type CheckedServer = Server & { connectionsCheckingInterval: number };

export function applyServerLimits(server: Server, limits: HttpServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = limits.maxHeadersCount;
  // Node enforces both timeouts on this period (30 s by default), read when the server starts listening.
  (server as CheckedServer).connectionsCheckingInterval = Math.max(
    50,
    Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)),
  );
}

interface Refusal {
  status: number;
  message: string;
}

/** What Node's parser refused, in the API's words. */
function refusalFor(code: string): Refusal {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request did not arrive within the server’s time limit' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'The request headers are too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'The request chunk extensions are too large' };
    default:
      return { status: 400, message: 'The request is not valid HTTP/1.1' };
  }
}

export interface ClientErrorOptions {
  logger: LoggerService;
  /** Called once per refusal answered, e.g. to count it with the other HTTP answers. */
  onAnswered?: (status: number) => void;
}

/**
 * Requests Node's parser refuses (malformed request line, obsolete line folding, headers too large or too
 * slow, a body that never arrives) never reach Express. Without this they get a bare status line; with it
 * they get the one JSON error shape, a request id and a log line like any other refusal.
 */
export function answerClientErrors(server: Server, options: ClientErrorOptions): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }) => {
    // A connection reset, or a failure after an answer began: nothing can be said on that socket any more.
    if (err.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
      socket.destroy();
      return;
    }
    const { status, message } = refusalFor(err.code ?? '');
    const id = randomUUID();
    const body = JSON.stringify({
      statusCode: status,
      error: httpReason(status),
      code: httpErrorCode(status),
      message,
    });
    const headers = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
      'X-Request-Id': id,
      ...SECURITY_HEADERS,
    };
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(`HTTP/1.1 ${status} ${httpReason(status)}\r\n${head}\r\n${body}`);
    socket.once('finish', () => socket.destroy());
    options.logger.warn(
      { req: { id }, res: { statusCode: status }, err: { code: err.code } },
      'request refused by the HTTP parser',
    );
    options.onAnswered?.(status);
  });
  // Any Expect but 100-continue: answered 417 in the JSON shape by the app, like the other refusals.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    markExpectationFailed(req);
    server.emit('request', req, res);
  });
}
