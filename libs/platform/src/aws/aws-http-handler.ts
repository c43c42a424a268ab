import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsHttpSettings {
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  maxSockets: number;
}

/**
 * The request handler every AWS client of ours uses: keep-alive sockets up to `maxSockets` (the SDK's
 * default agent has no bound we chose) and explicit timeouts, so a hung endpoint fails a call instead of a job.
 */
export function awsHttpHandler(settings: AwsHttpSettings): NodeHttpHandler {
  const agentOptions = { keepAlive: true, maxSockets: settings.maxSockets };
  return new NodeHttpHandler({
    requestTimeout: settings.requestTimeoutMs,
    connectionTimeout: settings.connectionTimeoutMs,
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
  });
}
