import { createServer, Agent as HttpAgent, type RequestListener, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { awsHandlerLogger, awsHttpHandler } from './aws-http-handler';

type Handler = ReturnType<typeof awsHttpHandler>;

/** The fields the handler reads; the SDK's HttpRequest class is not a dependency of ours. */
const requestTo = (port: number, path = '/') =>
  ({
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    method: 'GET',
    path,
    query: {},
    headers: {},
  }) as unknown as Parameters<Handler['handle']>[0];

const readBody = (body: unknown): Promise<string> =>
  new Promise((resolve, reject) => {
    const stream = body as NodeJS.ReadableStream;
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });

describe(awsHttpHandler.name, () => {
  let server: Server;
  let port: number;
  let route: RequestListener;

  beforeAll(async () => {
    server = createServer((req, res) => route(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  let sut: Handler;
  let consoleWarn: jest.SpyInstance;
  let stderrWrite: jest.SpyInstance;

  beforeEach(() => {
    sut = awsHttpHandler({ requestTimeoutMs: 300, connectionTimeoutMs: 200, maxSockets: 7 });
    consoleWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    stderrWrite = jest.spyOn(process.stderr, 'write');
  });

  afterEach(() => {
    sut.destroy();
    consoleWarn.mockRestore();
    stderrWrite.mockRestore();
  });

  it('sends through bounded keep-alive agents with timeouts that throw and our logger', async () => {
    route = (_req, res) => res.end('ok');
    const { response } = await sut.handle(requestTo(port));

    const config = sut.httpHandlerConfigs();
    expect(response.statusCode).toBe(200);
    expect(await readBody(response.body)).toBe('ok');
    expect(config).toMatchObject({
      requestTimeout: 300,
      throwOnRequestTimeout: true,
      socketTimeout: 300,
      connectionTimeout: 200,
      logger: awsHandlerLogger,
    });
    expect(config.httpAgent).toBeInstanceOf(HttpAgent);
    expect(config.httpsAgent).toBeInstanceOf(HttpsAgent);
    expect(config.httpAgent).toMatchObject({ keepAlive: true, maxSockets: 7 });
    expect(config.httpsAgent).toMatchObject({ keepAlive: true, maxSockets: 7 });
  });

  it('fails an attempt whose answer never comes with a TimeoutError, without printing a warning', async () => {
    route = () => undefined; // holds the request: a black hole
    const started = performance.now();
    const error = await sut.handle(requestTo(port)).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string },
    );
    const elapsed = performance.now() - started;

    expect(error?.name).toBe('TimeoutError');
    expect(error?.code).toBe('ETIMEDOUT');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
    expect(consoleWarn).not.toHaveBeenCalled();
    expect(stderrWrite).not.toHaveBeenCalled();
  });

  it('fails an answer whose body stalls after the headers (socket timeout)', async () => {
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.write('<partial'); // and never more
    };
    const { response } = await sut.handle(requestTo(port));
    const started = performance.now();
    const error = await readBody(response.body).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    const elapsed = performance.now() - started;

    expect(error?.name).toBe('TimeoutError');
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(3000);
    expect(consoleWarn).not.toHaveBeenCalled();
  });
});
