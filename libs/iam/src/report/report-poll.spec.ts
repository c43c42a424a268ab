import { IamErrorCode, IamException } from '../errors/iam.exception';
import type { Clock } from '../iam.constants';
import { ScanDeadlineExceeded } from '../scan/scan-deadline';
import { ReportPoll, type ReportPollOptions } from './report-poll';

describe(ReportPoll.name, () => {
  let nowMs: number;
  let clock: Clock;
  let sleep: jest.Mock<Promise<void>, [number]>;
  let sut: ReportPoll;

  const build = (options: ReportPollOptions) => new ReportPoll(options, clock, sleep);

  /** Waits until the poll gives up; returns the error. */
  async function waitUntilRefused(poll: ReportPoll): Promise<IamException> {
    for (let i = 0; i < 100; i++) {
      try {
        await poll.wait('testing');
      } catch (err) {
        expect(err).toBeInstanceOf(IamException);
        return err as IamException;
      }
    }
    throw new Error('the poll never gave up');
  }

  beforeEach(() => {
    nowMs = Date.parse('2026-03-01T00:00:00Z');
    clock = { now: () => new Date(nowMs) };
    sleep = jest.fn((ms: number) => {
      nowMs += ms;
      return Promise.resolve();
    });
    sut = build({ intervalMs: 1000, maxWaitMs: 60_000 });
  });

  it('doubles the delay up to 10 s and spends exactly the budget before giving up', async () => {
    const err = await waitUntilRefused(sut);

    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000, 5000]);
    expect(err).toMatchObject({
      code: IamErrorCode.ReportNotReady,
      action: 'GetCredentialReport',
      retryAfterSeconds: 10,
      message: 'The credential report was not ready after 60 s (testing)',
    });
  });

  it('keeps a first interval longer than the ceiling as the ceiling', async () => {
    sut = build({ intervalMs: 30_000, maxWaitMs: 100_000 });

    const err = await waitUntilRefused(sut);

    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([30_000, 30_000, 30_000, 10_000]);
    expect(err.retryAfterSeconds).toBe(30);
  });

  it('never suggests retrying sooner than 5 s', async () => {
    sut = build({ intervalMs: 100, maxWaitMs: 1000 });

    const err = await waitUntilRefused(sut);

    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([100, 200, 400, 300]);
    expect(err.retryAfterSeconds).toBe(5);
  });

  it('counts time spent outside the sleeps against the budget', async () => {
    sut = build({ intervalMs: 100, maxWaitMs: 1000 });
    nowMs += 950; // e.g. slow IAM calls

    await sut.wait('testing');
    const err = await waitUntilRefused(sut);

    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([50]);
    expect(err.code).toBe(IamErrorCode.ReportNotReady);
  });

  it('gives up at once when the budget is zero', async () => {
    sut = build({ intervalMs: 100, maxWaitMs: 0 });

    const err = await waitUntilRefused(sut);

    expect(sleep).not.toHaveBeenCalled();
    expect(err.code).toBe(IamErrorCode.ReportNotReady);
  });

  it("stops waiting with a 504 the moment the scan's deadline aborts it", async () => {
    const controller = new AbortController();
    sleep.mockImplementation(() => new Promise<void>(() => undefined)); // a wait that would never end
    const poll = new ReportPoll({ intervalMs: 1000, maxWaitMs: 60_000 }, clock, sleep, controller.signal);

    const waiting = poll.wait('testing').then(
      () => undefined,
      (err: unknown) => err,
    );
    controller.abort(new ScanDeadlineExceeded(5000));

    expect(await waiting).toMatchObject({
      code: IamErrorCode.Timeout,
      action: 'GetCredentialReport',
      message: 'The scan did not finish within SCAN_MAX_DURATION_MS (5000 ms); GetCredentialReport was running',
    });
  });
});
