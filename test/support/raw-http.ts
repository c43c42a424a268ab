import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One request with whatever method, headers and body the test wants (fetch refuses a body on GET), on a fresh
 * connection.
 */
export function sendRaw(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method,
        path,
        agent: false,
        headers: body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface SocketExchange {
  /** Everything the server sent before it closed the connection. */
  data: string;
  /** From connecting until the server closed it. */
  closedAfterMs: number;
}

/**
 * Writes raw bytes on a new TCP connection (none at all when `bytes` is empty) and waits for the server to close
 * it; gives up after `giveUpMs`, so a server that never closes fails the test instead of hanging it.
 */
export function exchangeRaw(baseUrl: string, bytes: string, giveUpMs = 10_000): Promise<SocketExchange> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`The server kept the connection open for ${giveUpMs} ms; it sent: ${JSON.stringify(data)}`));
    }, giveUpMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (bytes !== '') {
        socket.write(bytes);
      }
    });
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => undefined); // a reset is a close too; what was read is what counts
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closedAfterMs: Date.now() - started });
    });
  });
}

/** The status, lower-cased headers and body of one HTTP/1.1 response read off a socket. */
export function parseRawResponse(data: string): { status: number; headers: Record<string, string>; body: string } {
  const split = data.indexOf('\r\n\r\n');
  if (!data.startsWith('HTTP/1.1 ') || split === -1) {
    throw new Error(`Not an HTTP/1.1 response: ${JSON.stringify(data)}`);
  }
  const [statusLine, ...lines] = data.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: data.slice(split + 4) };
}
