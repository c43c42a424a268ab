import { HealthIndicatorService } from '@nestjs/terminus';
import type { IamConfig, OldKeysService, RunningScan } from '@app/iam';
import type { EventLoopLagMonitor } from './event-loop-lag.monitor';
import { LivenessIndicator } from './liveness.health';

describe(LivenessIndicator.name, () => {
  const NOW = 1_000_000;
  let sut: LivenessIndicator;
  let scans: jest.Mocked<Pick<OldKeysService, 'runningScans'>>;
  let lag: jest.Mocked<Pick<EventLoopLagMonitor, 'maxLagMs'>>;

  beforeEach(() => {
    scans = { runningScans: jest.fn().mockReturnValue([]) };
    lag = { maxLagMs: jest.fn().mockReturnValue(12) };
    sut = new LivenessIndicator(
      new HealthIndicatorService(),
      scans as unknown as OldKeysService,
      lag as unknown as EventLoopLagMonitor,
      { scanMaxDurationMs: 60_000 } as IamConfig,
    );
  });

  const running = (ageMs: number): RunningScan[] => [
    { source: 'list-users', accountId: '111111111111', startedAt: NOW - ageMs },
  ];

  it('is up with the event loop lag when nothing is stuck', () => {
    scans.runningScans.mockReturnValue(running(30_000)); // a scan within its deadline
    expect(sut.check('process', 5000, NOW)).toEqual({ process: { status: 'up', eventLoopLagMs: 12 } });
  });

  it('is down when the event loop stalled beyond the bound', () => {
    lag.maxLagMs.mockReturnValue(5001);
    expect(sut.check('process', 5000, NOW)).toEqual({
      process: { status: 'down', reason: 'EVENT_LOOP_STALLED', eventLoopLagMs: 5001, maxEventLoopLagMs: 5000 },
    });
  });

  it('is down when a scan has run past twice SCAN_MAX_DURATION_MS (its deadline failed to stop it)', () => {
    scans.runningScans.mockReturnValue(running(120_001));
    expect(sut.check('process', 5000, NOW)).toEqual({
      process: { status: 'down', reason: 'SCAN_STUCK', scanRunningMs: 120_001, stuckAfterMs: 120_000 },
    });
  });

  it('still tolerates a scan just past its deadline, which is being aborted', () => {
    scans.runningScans.mockReturnValue(running(90_000));
    expect(sut.check('process', 5000, NOW)).toMatchObject({ process: { status: 'up' } });
  });
});
