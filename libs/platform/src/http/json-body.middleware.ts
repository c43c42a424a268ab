import type { IncomingMessage } from 'node:http';
import { CanActivate, ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RequestValidationException } from './validation.pipe';

export const BODY_LIMIT_BYTES = 16 * 1024;
/** The request bodies are flat; this only stops a deep one from overflowing the stack of class-transformer. */
export const BODY_MAX_DEPTH = 32;
export const BODY_EXAMPLE = '{"hours": 2160}';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

const BODY_ERROR = Symbol('bodyError');
/** Where {@link jsonBody} keeps a refusal on the request (read by {@link RequestBodyGuard} and the fast path). */
export const BODY_ERROR_KEY: symbol = BODY_ERROR;

/** A body read before the app by {@link readJsonBody}: the parsed object, or why it was refused. */
export interface ReadBody {
  body?: object;
  error?: Error;
}

const READ_BODY = Symbol('readBody');

type BodyRequest = Request & { [BODY_ERROR]?: Error; [READ_BODY]?: ReadBody };

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAMETER = new RegExp(`^(${TOKEN})=(${TOKEN}|"(?:[^"\\\\]|\\\\.)*")$`);
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);

/** Requests whose `Expect` header Node could not meet; answered 417 by {@link RequestBodyGuard}. */
const unmetExpectations = new WeakSet<IncomingMessage>();

export function markExpectationFailed(req: IncomingMessage): void {
  unmetExpectations.add(req);
}

function invalid(field: string, message: string): RequestValidationException {
  return new RequestValidationException([{ field, messages: [message] }]);
}

function clientError(status: number, message: string): HttpException {
  return new HttpException({ message }, status);
}

/** A body is announced by a non-zero Content-Length or by Transfer-Encoding (chunked, possibly empty). */
function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
}

/**
 * RFC 9110 media type, parsed strictly (`application/json;;;=` is not one): the type, lower-cased, and the
 * parameters; undefined when the header is malformed.
 */
export function parseMediaType(header: string): { type: string; parameters: Map<string, string> } | undefined {
  const [essence, ...rest] = header.split(';');
  const type = MEDIA_TYPE.exec(essence.trim());
  if (!type) {
    return undefined;
  }
  const parameters = new Map<string, string>();
  for (const raw of rest) {
    const text = raw.trim();
    if (text === '') {
      continue; // RFC 9110 allows empty parameters
    }
    const parameter = PARAMETER.exec(text);
    if (!parameter) {
      return undefined;
    }
    const value = parameter[2].startsWith('"') ? parameter[2].slice(1, -1).replace(/\\(.)/g, '$1') : parameter[2];
    parameters.set(parameter[1].toLowerCase(), value);
  }
  return { type: `${type[1]}/${type[2]}`.toLowerCase(), parameters };
}

/** Why a request's announced body cannot be JSON we read, before a byte of it is read; undefined when it can. */
function refuseHeaders(req: IncomingMessage): Error | undefined {
  const header = req.headers['content-type'];
  const mediaType = header === undefined ? undefined : parseMediaType(header);
  if (mediaType === undefined || mediaType.type !== 'application/json') {
    return invalid('Content-Type', 'Content-Type must be application/json with a JSON object body');
  }
  const charset = mediaType.parameters.get('charset');
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    return clientError(415, `unsupported charset "${charset.toUpperCase()}"; send the JSON body as UTF-8`);
  }
  if ([...mediaType.parameters.keys()].some((name) => name !== 'charset')) {
    return invalid('Content-Type', 'Content-Type must be application/json, with no parameter but charset=utf-8');
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return clientError(415, 'Content-Encoding is not supported; send the JSON body uncompressed');
  }
  if (Number(req.headers['content-length']) > BODY_LIMIT_BYTES) {
    return clientError(413, 'request entity too large');
  }
  return undefined;
}

function readText(req: IncomingMessage, done: (err: Error | undefined, text?: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (err: Error | undefined, text?: string) => {
    req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
    done(err, text);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) {
      finish(clientError(413, 'request entity too large'));
    } else {
      chunks.push(chunk);
    }
  };
  const onEnd = () => finish(undefined, Buffer.concat(chunks).toString('utf8'));
  // The client's connection failed mid-body: its doing, not ours (and it rarely reads the answer).
  const onError = () => finish(clientError(400, 'the request body could not be read'));
  const onAborted = onError;
  req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
}

/** The deepest nesting of a parsed JSON value, walked without recursion; stops counting past `max`. */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) {
      continue;
    }
    if (depth > max) {
      return true;
    }
    for (const child of Object.values(node)) {
      stack.push([child, depth + 1]);
    }
  }
  return false;
}

function parseBody(text: string): ReadBody {
  if (text.trim() === '') {
    return { error: invalid('body', `body is required: a JSON object such as ${BODY_EXAMPLE}`) };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: invalid('body', 'body must be valid JSON') };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: invalid('body', `body must be a JSON object such as ${BODY_EXAMPLE}`) };
  }
  if (depthExceeds(body, BODY_MAX_DEPTH)) {
    return { error: invalid('body', `body must not nest deeper than ${BODY_MAX_DEPTH} levels`) };
  }
  return { body };
}

/**
 * The API's only body parser, for every method (Nest's own are turned off): JSON objects up to
 * {@link BODY_LIMIT_BYTES} on POST, PUT and PATCH; no body at all on the other methods. A refusal is not
 * raised here but kept on the request for {@link RequestBodyGuard}: by then the request has its id, its log
 * line and its metrics, and the bearer token has been checked first. Whatever of a refused body is left
 * unread is discarded by Node after the answer, within the server's request timeout.
 */
export function jsonBody(options: { optionalOn?: readonly string[] } = {}): RequestHandler {
  // Routes where a POST without a body means "all defaults" (e.g. starting a scan).
  const optional = new Set(options.optionalOn ?? []);
  return (req: BodyRequest, _res: Response, next: NextFunction) => {
    const refuse = (err: Error) => {
      req[BODY_ERROR] = err;
      next();
    };
    if (unmetExpectations.has(req)) {
      refuse(clientError(417, 'Expect: only 100-continue is supported'));
      return;
    }
    const hasBody = announcesBody(req);
    if (!WITH_BODY.has(req.method)) {
      if (hasBody) {
        refuse(invalid('body', `${req.method} requests take no body`));
      } else {
        next();
      }
      return;
    }
    if (!hasBody) {
      if (optional.has(req.path)) {
        req.body = {};
        next();
        return;
      }
      refuse(invalid('body', `body is required: a JSON object such as ${BODY_EXAMPLE}`));
      return;
    }
    const refused = refuseHeaders(req);
    if (refused) {
      refuse(refused);
      return;
    }
    const read = req[READ_BODY];
    if (read !== undefined) {
      if (read.error) {
        refuse(read.error);
      } else {
        req.body = read.body;
        next();
      }
      return;
    }
    readText(req, (err, text) => {
      if (err) {
        req.resume();
        refuse(err);
        return;
      }
      const { body, error } = parseBody(text ?? '');
      if (error) {
        refuse(error);
        return;
      }
      req.body = body;
      next();
    });
  };
}

/**
 * Reads a POST's JSON body ahead of the app, as {@link jsonBody} would (same headers accepted, same limits, same
 * refusals), and keeps the outcome on the request so that jsonBody uses it instead of reading again; `done` gets it.
 * False, with nothing read, when jsonBody would not read this request's body (another method, no body announced,
 * an Expect it could not meet, headers it refuses): the app then answers the request as before.
 */
export function readJsonBody(req: IncomingMessage, done: (read: ReadBody) => void): boolean {
  if (req.method !== 'POST' || unmetExpectations.has(req) || !announcesBody(req) || refuseHeaders(req)) {
    return false;
  }
  readText(req, (err, text) => {
    let read: ReadBody;
    if (err) {
      req.resume();
      read = { error: err };
    } else {
      read = parseBody(text ?? '');
    }
    (req as BodyRequest)[READ_BODY] = read;
    done(read);
  });
  return true;
}

/** Raises the body error {@link jsonBody} kept on the request; registered as the last global guard. */
@Injectable()
export class RequestBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<BodyRequest>();
      if (req[BODY_ERROR] !== undefined) {
        throw req[BODY_ERROR];
      }
    }
    return true;
  }
}
