import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import type { RemediationMetricsSnapshot, RemediationRepository } from '@app/store';
import { REMEDIATION_METRICS_CACHE_MS, RemediationMetricsCollector } from './remediation-metrics.collector';

const NOW = new Date('2026-11-24T10:00:00.000Z');

const SNAPSHOT: RemediationMetricsSnapshot = {
  latestRuns: [
    {
      runId: 1,
      mode: 'dry-run',
      status: 'complete',
      startedAt: new Date('2026-11-23T10:00:00.000Z'),
      finishedAt: new Date('2026-11-23T10:00:02.000Z'),
    },
    {
      runId: 3,
      mode: 'enforce',
      status: 'stopped',
      startedAt: new Date('2026-11-24T09:59:58.000Z'),
      finishedAt: new Date('2026-11-24T10:00:00.000Z'),
    },
  ],
  latestRunDecisions: [
    { mode: 'dry-run', outcome: 'would-deactivate', reason: 'expired-past-grace', count: 2 },
    { mode: 'enforce', outcome: 'deactivated', reason: 'expired-past-grace', count: 1 },
    { mode: 'enforce', outcome: 'refused', reason: 'kill-switch', count: 4 },
  ],
  decisionsSince: [{ mode: 'enforce', outcome: 'spared', reason: 'used-recently', count: 7 }],
};

/** The exposition's sample lines of the remediation metrics, in order. */
async function samples(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line.startsWith('remediation_'));
}

describe(RemediationMetricsCollector.name, () => {
  let registry: Registry;
  let store: jest.Mocked<Pick<RemediationRepository, 'metricsSnapshot'>>;
  let elapsed: number;
  let sut: RemediationMetricsCollector;

  beforeEach(() => {
    registry = new Registry();
    store = { metricsSnapshot: jest.fn().mockResolvedValue(SNAPSHOT) };
    elapsed = 0;
    sut = new RemediationMetricsCollector(registry, store, { clock: () => NOW, elapsedMs: () => elapsed });
  });

  it('shows the latest run of each mode, the last 24 hours and how the latest runs ended, as the store has them', async () => {
    expect(await samples(registry)).toEqual([
      'remediation_decisions{mode="dry-run",outcome="would-deactivate",reason="expired-past-grace"} 2',
      'remediation_decisions{mode="enforce",outcome="deactivated",reason="expired-past-grace"} 1',
      'remediation_decisions{mode="enforce",outcome="refused",reason="kill-switch"} 4',
      'remediation_decisions_last_24h{mode="enforce",outcome="spared",reason="used-recently"} 7',
      'remediation_last_run_timestamp_seconds{mode="dry-run"} 1795428002',
      'remediation_last_run_timestamp_seconds{mode="enforce"} 1795514400',
      'remediation_last_run_status{mode="dry-run",status="complete"} 1',
      'remediation_last_run_status{mode="dry-run",status="refused"} 0',
      'remediation_last_run_status{mode="dry-run",status="stopped"} 0',
      'remediation_last_run_status{mode="dry-run",status="failed"} 0',
      'remediation_last_run_status{mode="enforce",status="complete"} 0',
      'remediation_last_run_status{mode="enforce",status="refused"} 0',
      'remediation_last_run_status{mode="enforce",status="stopped"} 1',
      'remediation_last_run_status{mode="enforce",status="failed"} 0',
    ]);
    expect(store.metricsSnapshot).toHaveBeenCalledWith(new Date('2026-11-23T10:00:00.000Z'));
  });

  it('has no remediation series while the store holds no run, and drops a series the store no longer has', async () => {
    store.metricsSnapshot.mockResolvedValue({ latestRuns: [], latestRunDecisions: [], decisionsSince: [] });
    expect(await samples(registry)).toEqual([]);

    registry = new Registry();
    new RemediationMetricsCollector(registry, store, { elapsedMs: () => elapsed });
    store.metricsSnapshot.mockResolvedValueOnce(SNAPSHOT);
    expect(await samples(registry)).toHaveLength(14);
    elapsed += REMEDIATION_METRICS_CACHE_MS;
    expect(await samples(registry)).toEqual([]);
  });

  it(`reads the store once per ${REMEDIATION_METRICS_CACHE_MS / 1000} s, whatever the number of scrapes and gauges`, async () => {
    expect(await sut.snapshot()).toBe(SNAPSHOT);
    await Promise.all([registry.metrics(), registry.metrics(), registry.metrics()]);
    elapsed += REMEDIATION_METRICS_CACHE_MS - 1;
    await registry.metrics();
    expect(store.metricsSnapshot).toHaveBeenCalledTimes(1);

    elapsed += 1;
    await registry.metrics();
    expect(store.metricsSnapshot).toHaveBeenCalledTimes(2);
  });

  it('a failed store read leaves the series absent, is logged without its message, and is not retried within the cache time', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    store.metricsSnapshot.mockRejectedValue(
      Object.assign(new Error('password authentication failed'), { name: 'PgError' }),
    );

    const text = await registry.metrics();
    await registry.metrics();

    expect(text.split('\n').filter((l) => l.startsWith('remediation_'))).toEqual([]);
    expect(text).toContain('# TYPE remediation_decisions gauge');
    expect(store.metricsSnapshot).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith({
      msg: 'Remediation metrics could not be read from the store: their series are absent from this scrape',
      error: 'PgError',
    });
  });
});
