import { EventLoopLagMonitor, LAG_SAMPLE_INTERVAL_MS, LAG_WINDOW_MS } from './event-loop-lag.monitor';

describe(EventLoopLagMonitor.name, () => {
  let sut: EventLoopLagMonitor;

  beforeEach(() => {
    sut = new EventLoopLagMonitor();
  });

  afterEach(() => sut.onModuleDestroy());

  it('sees a real stall of the event loop, while it is overdue and after', async () => {
    sut.start();
    const blockedUntil = performance.now() + LAG_SAMPLE_INTERVAL_MS + 400;
    while (performance.now() < blockedUntil) {
      // a synchronous stall, as a runaway parse would cause
    }
    expect(sut.maxLagMs()).toBeGreaterThanOrEqual(350);

    await new Promise((resolve) => setTimeout(resolve, LAG_SAMPLE_INTERVAL_MS + 100)); // the late tick has run
    expect(sut.maxLagMs()).toBeGreaterThanOrEqual(350);
  });

  it('remembers a stall for one window, then forgets it', () => {
    sut.start(0);
    let now = LAG_SAMPLE_INTERVAL_MS + 3000;
    sut.tick(now); // 3 s late
    expect(sut.maxLagMs(now)).toBe(3000);

    const forgetAt = now + LAG_WINDOW_MS + LAG_SAMPLE_INTERVAL_MS;
    while (now < forgetAt) {
      now += LAG_SAMPLE_INTERVAL_MS;
      sut.tick(now); // on time
      if (now - LAG_SAMPLE_INTERVAL_MS - 3000 <= LAG_WINDOW_MS) {
        expect(sut.maxLagMs(now)).toBe(3000);
      }
    }
    expect(sut.maxLagMs(now)).toBe(0);
  });

  it('reports no lag on an idle, punctual loop', () => {
    sut.start(0);
    for (let i = 1; i <= 5; i++) {
      sut.tick(i * LAG_SAMPLE_INTERVAL_MS);
    }
    expect(sut.maxLagMs(5 * LAG_SAMPLE_INTERVAL_MS)).toBe(0);
  });
});
