import { createServer, Agent as HttpAgent, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { awsHttpHandler } from './aws-http-handler';

describe(awsHttpHandler.name, () => {
  let server: Server;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends through bounded keep-alive agents with the given timeouts', async () => {
    const sut = awsHttpHandler({ requestTimeoutMs: 4000, connectionTimeoutMs: 1500, maxSockets: 7 });
    const { port } = server.address() as AddressInfo;

    // The fields the handler reads; the SDK's HttpRequest class is not a dependency of ours.
    const request = {
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      method: 'GET',
      path: '/',
      query: {},
      headers: {},
    } as unknown as Parameters<typeof sut.handle>[0];
    const { response } = await sut.handle(request);
    (response.body as NodeJS.ReadableStream).resume();

    const config = sut.httpHandlerConfigs();
    expect(response.statusCode).toBe(200);
    expect(config).toMatchObject({ requestTimeout: 4000, connectionTimeout: 1500 });
    expect(config.httpAgent).toBeInstanceOf(HttpAgent);
    expect(config.httpsAgent).toBeInstanceOf(HttpsAgent);
    expect(config.httpAgent).toMatchObject({ keepAlive: true, maxSockets: 7 });
    expect(config.httpsAgent).toMatchObject({ keepAlive: true, maxSockets: 7 });
    sut.destroy();
  });
});
