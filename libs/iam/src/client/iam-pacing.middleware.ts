import { AsyncLocalStorage } from 'node:async_hooks';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AdaptiveRateGovernor, RatePermit } from '../scan/adaptive-rate.governor';
import { meterStorage } from '../scan/iam-call-meter';
import type { RequestSlots } from '../scan/request-slots';
import { isThrottlingError } from './aws-error.mapper';
import type { IamCallOutcome } from './iam-call-observer';

/** The slots of the call being sent, for the middleware; only calls given slots take one. */
export const slotStorage = new AsyncLocalStorage<RequestSlots>();

/** One HTTP attempt as the inner middleware saw it, for the outer one that learns its outcome. */
interface AttemptRecord {
  permit?: RatePermit;
  sentAt?: number;
  answeredAt?: number;
  /** A request slot still held after an answer that was not a success, for the outer middleware to hand on. */
  release?: () => void;
}

export interface PacingOptions {
  /** The pace of this client's account: every attempt waits for its permit and reports its outcome to it. */
  governor: AdaptiveRateGovernor;
  /** Told of every attempt that went out (retries included). */
  onAttempt?: (action: string, outcome: IamCallOutcome, durationMs: number) => void;
}

/**
 * Paces one IAM client: two middlewares that run once per HTTP attempt, inside the SDK's retry loop (at
 * finalizeRequest), so they see the throttles the SDK hides. The outer one wraps the parsing and learns the
 * outcome; the inner one wraps only the exchange with IAM: it takes the call's request slot, then the
 * governor's permit, so a slot is held and the pace charged only while the request is at IAM.
 */
export function installPacing(client: IAMClient, { governor, onAttempt }: PacingOptions): void {
  // Keyed by the attempt's arguments: with cacheMiddleware every call of a command shares one context object.
  const attempts = new WeakMap<object, AttemptRecord>();

  /** Reports an attempt that went out (one stopped before leaving has nothing to report). */
  const settle = (context: object, attempt: AttemptRecord, outcome: IamCallOutcome): void => {
    if (!attempt.permit || attempt.sentAt === undefined) {
      return;
    }
    governor.record(attempt.permit, outcome);
    const meter = meterStorage.getStore();
    if (meter && outcome !== 'ok') {
      if (outcome === 'throttled') {
        meter.throttles++;
      } else {
        meter.errors++;
      }
    }
    onAttempt?.(actionOf(context), outcome, (attempt.answeredAt ?? performance.now()) - attempt.sentAt);
  };

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const attempt: AttemptRecord = {};
      attempts.set(args, attempt);
      try {
        const result = await next(args);
        settle(context, attempt, 'ok');
        return result;
      } catch (err) {
        settle(context, attempt, isThrottlingError(err) ? 'throttled' : 'error');
        throw err;
      } finally {
        // After the error has reached the scan (promise callbacks all run before setImmediate ones), so a
        // scan it fails has stopped its slots before the request prepared behind this one could take this slot.
        const { release } = attempt;
        if (release) {
          setImmediate(release);
        }
      }
    },
    { step: 'deserialize', name: 'iamKeyMonitorAttemptOutcome', priority: 'high' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const recorded = attempts.get(args);
      const attempt = recorded ?? {};
      const release = await slotStorage.getStore()?.acquire();
      let answered = false;
      try {
        attempt.permit = await governor.acquire();
        meterStorage.getStore()?.attempt(actionOf(context));
        attempt.sentAt = performance.now();
        const result = await next(args);
        answered = isSuccess(result.response);
        return result;
      } finally {
        attempt.answeredAt = performance.now();
        if (answered || !recorded) {
          release?.();
        } else {
          attempt.release = release;
        }
      }
    },
    { step: 'deserialize', name: 'iamKeyMonitorRequestSlot', priority: 'low' },
  );
}

const isSuccess = (response: unknown): boolean => {
  const status = (response as { statusCode?: number } | undefined)?.statusCode;
  return status !== undefined && status >= 200 && status < 300;
};

const actionOf = (context: { commandName?: string }): string =>
  context.commandName?.replace(/Command$/, '') ?? 'Unknown';
