import { Logger } from '@nestjs/common';
import { EMULATOR_AWS_ENV, expectedOldKeys, IamEmulator, seedAccount, setEnv } from '@app/iam-emulator';
import type { IamConfig } from '../config/iam.config';
import { IamErrorCode } from '../errors/iam.exception';
import type { ScanQuery } from '../iam.types';
import { AdaptiveRateGovernor } from '../scan/adaptive-rate.governor';
import { IamCallMeter, meterStorage } from '../scan/iam-call-meter';
import { RequestSlots, ScanStoppedError } from '../scan/request-slots';
import { CredentialReportStrategy } from '../strategies/credential-report.strategy';
import { ListUsersStrategy } from '../strategies/list-users.strategy';
import { testIamConfig } from '../testing/iam-config.fixture';
import type { IamCallObserver, IamCallOutcome } from './iam-call-observer';
import { IamClientProvider } from './iam-client.provider';

const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const EVERY_KEY: ScanQuery = { hours: 0, includeInactive: true };

class RecordingObserver implements IamCallObserver {
  readonly attempts: Array<[string, IamCallOutcome]> = [];

  onAttempt(action: string, outcome: IamCallOutcome): void {
    this.attempts.push([action, outcome]);
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  expect(condition()).toBe(true);
}

/** Over real HTTP to the emulator: what IAM sees is what the request slots allow. */
describe(`${IamClientProvider.name} with request slots`, () => {
  const account = seedAccount({ seed: 5, users: 40, now, youngUserFraction: 0 });
  const users = account.listUsers().map((u) => u.userName);
  let restoreEnv: () => void;
  let emulator: IamEmulator;
  /** Answers in 400 ms, so a request is surely still out when a test acts on it. */
  let slow: IamEmulator;
  let config: IamConfig;
  let slowConfig: IamConfig;
  let governor: AdaptiveRateGovernor;
  let observer: RecordingObserver;
  let sut: IamClientProvider;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    restoreEnv = setEnv(EMULATOR_AWS_ENV);
    emulator = new IamEmulator({ account, latencyMs: [10, 20], seed: 3 });
    config = testIamConfig({ endpoint: await emulator.start(), maxSockets: 50, concurrency: 4 });
    slow = new IamEmulator({ account, latencyMs: 400 });
    slowConfig = { ...config, endpoint: await slow.start() };
  });

  beforeEach(() => {
    emulator.resetCounters();
    slow.resetCounters();
    emulator.faults.accessDenied.clear();
    governor = new AdaptiveRateGovernor();
    observer = new RecordingObserver();
    sut = new IamClientProvider(config, observer, governor);
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
  });

  afterAll(async () => {
    await emulator?.stop();
    await slow?.stop();
    restoreEnv();
  });

  it('keeps at most `limit` requests at IAM, with as many more calls prepared behind them', async () => {
    const slots = new RequestSlots(3);

    const keys = await Promise.all(users.map((name) => slots.run(() => sut.listAccessKeys(name, slots))));

    expect(keys.flat()).toHaveLength(account.listUsers().flatMap((u) => u.accessKeys).length);
    expect(emulator.counters.requests).toEqual({ ListAccessKeys: users.length });
    expect(emulator.counters.peakInFlight).toBe(3);
    expect(slots.peakInFlight).toBe(3);
    expect(slots.peakCalls).toBe(6);
  });

  it('does not hold back calls made without slots', async () => {
    sut = new IamClientProvider(slowConfig, observer, governor);
    const slots = new RequestSlots(1);
    const held = slots.run(() => sut.listAccessKeys(users[0], slots));
    await until(() => slow.counters.inFlight === 1);

    await sut.listUsersPage(undefined, 5);
    await held;

    expect(slow.counters.peakInFlight).toBe(2);
  });

  it('once stopped, the prepared requests never reach IAM and count as no attempt', async () => {
    sut = new IamClientProvider(slowConfig, observer, governor);
    const slots = new RequestSlots(1);
    const meter = new IamCallMeter();
    const results = meterStorage.run(meter, () =>
      Promise.allSettled(users.slice(0, 4).map((name) => slots.run(() => sut.listAccessKeys(name, slots)))),
    );
    await until(() => slow.counters.inFlight === 1);

    slots.stop();
    const settled = await results;

    // The one at IAM when the scan stopped is answered; the one prepared behind it and the two after never leave.
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(settled.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []))).toEqual([
      expect.any(ScanStoppedError),
      expect.any(ScanStoppedError),
      expect.any(ScanStoppedError),
    ]);
    expect(slow.counters.requests).toEqual({ ListAccessKeys: 1 });
    expect(meter.callsByAction).toEqual({ ListAccessKeys: 1 });
    expect(meter.errors).toBe(0);
    expect(observer.attempts).toEqual([['ListAccessKeys', 'ok']]);
    expect(governor.snapshot()).toMatchObject({ sent: 1, answered: 1 });
  });

  describe.each([
    ['ListUsersStrategy', (p: IamClientProvider, c: IamConfig) => new ListUsersStrategy(p, c, { now: () => now })],
    [
      'CredentialReportStrategy',
      (p: IamClientProvider, c: IamConfig) =>
        new CredentialReportStrategy(p, c, { now: () => now }, () => new Promise((r) => setTimeout(r, 5))),
    ],
  ])('%s', (_name, build) => {
    it('has exactly `concurrency` ListAccessKeys requests at IAM at the peak, and says so', async () => {
      const result = await build(sut, config).scan(EVERY_KEY);

      expect(result.keys.map((k) => k.accessKeyId)).toEqual(
        expectedOldKeys(account, { ...EVERY_KEY, now }).map((k) => k.accessKeyId),
      );
      expect(result.stats.peakInFlight).toBe(config.concurrency);
      // The report's own calls and the one ListUsers page are over before the lookups start.
      expect(emulator.counters.peakInFlight).toBe(config.concurrency);
    });

    it('after AccessDenied on the one lookup allowed out, IAM sees no other', async () => {
      emulator.faults.accessDenied.add('ListAccessKeys');

      await expect(build(sut, { ...config, concurrency: 1 }).scan(EVERY_KEY)).rejects.toMatchObject({
        code: IamErrorCode.AccessDenied,
        action: 'ListAccessKeys',
      });
      await new Promise((resolve) => setTimeout(resolve, 50));

      expect(emulator.counters.requests.ListAccessKeys).toBe(1);
    });
  });
});
