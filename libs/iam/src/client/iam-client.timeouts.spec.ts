import { Logger } from '@nestjs/common';
import { EMULATOR_AWS_ENV, IamEmulator, seedAccount, setEnv } from '@app/iam-emulator';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import { RequestSlots } from '../scan/request-slots';
import { ScanDeadline, scanDeadlineStorage } from '../scan/scan-deadline';
import { testIamConfig } from '../testing/iam-config.fixture';
import { IamClientProvider } from './iam-client.provider';

/** The error a call ends with, and how long it took (ms). */
async function failureOf(call: () => Promise<unknown>): Promise<{ err: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (err) {
    return { err, elapsedMs: performance.now() - started };
  }
  throw new Error('expected the call to fail');
}

describe(`${IamClientProvider.name} timeouts`, () => {
  const account = seedAccount({ seed: 5, users: 3 });
  let emulator: IamEmulator;
  let endpoint: string;
  let restoreEnv: () => void;
  let sut: IamClientProvider | undefined;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    restoreEnv = setEnv(EMULATOR_AWS_ENV);
    emulator = new IamEmulator({ account });
    endpoint = await emulator.start();
  });

  afterAll(async () => {
    await emulator.stop();
    restoreEnv();
  });

  afterEach(async () => {
    emulator.faults.hang.clear();
    await sut?.onModuleDestroy();
    sut = undefined;
  });

  it('fails a call IAM never answers with IAM_TIMEOUT after IAM_MAX_ATTEMPTS bounded attempts', async () => {
    emulator.faults.hang.add('ListUsers');
    emulator.resetCounters();
    sut = new IamClientProvider(testIamConfig({ endpoint, requestTimeoutMs: 300, maxAttempts: 2 }));

    const { err, elapsedMs } = await failureOf(() => sut!.listUsersPage());

    expect(err).toBeInstanceOf(IamException);
    expect(err).toMatchObject({
      code: IamErrorCode.Timeout,
      action: 'ListUsers',
      awsErrorName: 'TimeoutError',
      message: 'IAM did not answer ListUsers in time',
    });
    expect(emulator.counters.requests.ListUsers).toBe(2); // the SDK retried the timed-out attempt once
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * 250);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it("aborts a scan's calls in flight and queued when its deadline runs out, naming the action", async () => {
    emulator.faults.hang.add('ListAccessKeys');
    sut = new IamClientProvider(testIamConfig({ endpoint, requestTimeoutMs: 60_000, concurrency: 2 }));
    const deadline = new ScanDeadline(300);
    const slots = new RequestSlots(2);
    const names = account.listUsers().map((u) => u.userName);

    const started = performance.now();
    const results = await scanDeadlineStorage.run(deadline, () =>
      Promise.allSettled(names.map((name) => slots.run(() => sut!.listAccessKeys(name, slots)))),
    );
    const elapsedMs = performance.now() - started;
    deadline.dispose();

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        code: IamErrorCode.Timeout,
        action: 'ListAccessKeys',
        message: 'The scan did not finish within SCAN_MAX_DURATION_MS (300 ms); ListAccessKeys was running',
      });
    }
    expect(elapsedMs).toBeGreaterThanOrEqual(250);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('ends a ping at its signal even with long request timeouts and retries', async () => {
    emulator.faults.hang.add('ListUsers');
    sut = new IamClientProvider(testIamConfig({ endpoint, requestTimeoutMs: 60_000, maxAttempts: 3 }));

    const { err, elapsedMs } = await failureOf(() => sut!.ping(AbortSignal.timeout(200)));

    expect(err).toMatchObject({ code: IamErrorCode.Timeout, action: 'ListUsers' });
    expect(elapsedMs).toBeLessThan(3000);
  });
});
