import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Logger } from '@nestjs/common';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsHttpSettings {
  /** The longest one HTTP attempt may wait for its answer, and the longest its socket may stay silent. */
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  maxSockets: number;
}

/** The handler's own warnings (e.g. sockets at capacity) as JSON log lines, never bare console output. */
export const awsHandlerLogger = (() => {
  const logger = new Logger('AwsHttpHandler');
  return {
    trace: (message: unknown) => logger.verbose(message),
    debug: (message: unknown) => logger.debug(message),
    info: (message: unknown) => logger.log(message),
    warn: (message: unknown) => logger.warn(message),
    error: (message: unknown) => logger.error(message),
  };
})();

/**
 * The request handler every AWS client of ours uses: keep-alive sockets up to `maxSockets` (the SDK's
 * default agent has no bound we chose) and timeouts that bite. `requestTimeout` alone only logs a warning
 * in @smithy/node-http-handler 4.x; `throwOnRequestTimeout` makes it fail the attempt (TimeoutError, which the
 * SDK retries as transient), and `socketTimeout` bounds an answer whose headers came but whose body stalls.
 */
export function awsHttpHandler(settings: AwsHttpSettings): NodeHttpHandler {
  const agentOptions = { keepAlive: true, maxSockets: settings.maxSockets };
  return new NodeHttpHandler({
    requestTimeout: settings.requestTimeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: settings.requestTimeoutMs,
    connectionTimeout: settings.connectionTimeoutMs,
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
    logger: awsHandlerLogger,
  });
}
