import { MetricsService } from '@app/observability';
import { RemediationRepository } from '@app/store';
import { RemediationMetricsCollector } from '../apps/api/src/metrics/remediation-metrics.collector';
import { startApiOnEmulator, type ApiHarness } from './support/api-harness';
import { DAY_MS, HOUR_MS, RemediationHarness } from './support/remediation-harness';

const NOW = new Date('2026-11-24T10:00:00.000Z'); // a Tuesday
const seconds = (d: Date) => d.getTime() / 1000;

async function remediationSamples(api: ApiHarness): Promise<{ text: string; samples: string[] }> {
  const res = await fetch(`${api.metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: text.split('\n').filter((line) => line.startsWith('remediation_')) };
}

describe("Remediation metrics on the API's /metrics (e2e: runs of the remediator, then the real AppModule on their store)", () => {
  it('before any run the remediation series are absent (their HELP and TYPE only)', async () => {
    const api = await startApiOnEmulator();
    try {
      const { text, samples } = await remediationSamples(api);

      expect(samples).toEqual([]);
      expect(text).toContain('# TYPE remediation_decisions gauge');
      expect(text).toContain('# TYPE remediation_last_run_timestamp_seconds gauge');
    } finally {
      await api.close();
    }
  });

  describe('after a dry-run, then an enforce run an hour later, read a day after the dry-run', () => {
    const h = new RemediationHarness(new Date(NOW));
    let api: ApiHarness | undefined;
    const ENFORCE_AT = new Date(NOW.getTime() + HOUR_MS);
    const SCRAPED_AT = new Date(NOW.getTime() + DAY_MS + 30 * 60_000);

    beforeAll(async () => {
      await h.start({ REMEDIATION_MODE: 'dry-run', REMEDIATION_SPARE_USED_WITHIN_HOURS: '24' });
      await h.expiredKey('alice', 'AKIAREMEDIATEMET0001', { finalDaysAgo: 30, expiredDaysAgo: 28 });
      await h.expiredKey(
        'bob',
        'AKIAREMEDIATEMET0002',
        { finalDaysAgo: 30, expiredDaysAgo: 28 },
        { lastUsedHoursAgo: 2 },
      );
      await h.expiredKey('carol', 'AKIAREMEDIATEMET0003', { finalDaysAgo: 2, expiredDaysAgo: 1 });
      await h.expiredKey('dave', 'AKIAREMEDIATEMET0004', { expiredDaysAgo: 28 });
      expect(await h.run()).toMatchObject({ status: 'complete', outcomes: { 'would-deactivate': 1 } });

      h.now = ENFORCE_AT;
      await h.restart({ REMEDIATION_MODE: 'enforce' });
      expect(await h.run()).toMatchObject({ status: 'complete', outcomes: { deactivated: 1 } });
      await h.close();

      api = await startApiOnEmulator({
        env: { DATA_DIR: h.store.dir },
        configure: (builder) =>
          builder.overrideProvider(RemediationMetricsCollector).useFactory({
            inject: [MetricsService, RemediationRepository],
            factory: (metrics: MetricsService, store: RemediationRepository) =>
              new RemediationMetricsCollector(metrics.registry, store, { clock: () => SCRAPED_AT }),
          }),
      });
    }, 120_000);

    afterAll(async () => {
      await api?.close();
      await h.stop();
    });

    it('shows the decisions of the latest run of each mode by outcome and reason', async () => {
      const { samples } = await remediationSamples(api!);

      expect(samples.filter((s) => s.startsWith('remediation_decisions{')).sort()).toEqual([
        'remediation_decisions{mode="dry-run",outcome="notified",reason="before-deactivation"} 1',
        'remediation_decisions{mode="dry-run",outcome="spared",reason="final-warning-not-delivered"} 1',
        'remediation_decisions{mode="dry-run",outcome="spared",reason="in-grace-period"} 1',
        'remediation_decisions{mode="dry-run",outcome="spared",reason="used-recently"} 1',
        'remediation_decisions{mode="dry-run",outcome="would-deactivate",reason="expired-past-grace"} 1',
        'remediation_decisions{mode="enforce",outcome="deactivated",reason="expired-past-grace"} 1',
        'remediation_decisions{mode="enforce",outcome="notified",reason="before-deactivation"} 1',
        'remediation_decisions{mode="enforce",outcome="spared",reason="final-warning-not-delivered"} 1',
        'remediation_decisions{mode="enforce",outcome="spared",reason="in-grace-period"} 1',
        'remediation_decisions{mode="enforce",outcome="spared",reason="used-recently"} 1',
      ]);
    });

    it('counts the decisions of the last 24 hours only (the dry-run, 24.5 hours ago, is out)', async () => {
      const { samples } = await remediationSamples(api!);

      expect(samples.filter((s) => s.startsWith('remediation_decisions_last_24h{')).sort()).toEqual([
        'remediation_decisions_last_24h{mode="enforce",outcome="deactivated",reason="expired-past-grace"} 1',
        'remediation_decisions_last_24h{mode="enforce",outcome="notified",reason="before-deactivation"} 1',
        'remediation_decisions_last_24h{mode="enforce",outcome="spared",reason="final-warning-not-delivered"} 1',
        'remediation_decisions_last_24h{mode="enforce",outcome="spared",reason="in-grace-period"} 1',
        'remediation_decisions_last_24h{mode="enforce",outcome="spared",reason="used-recently"} 1',
      ]);
    });

    it('gives when the latest run of each mode ended and how', async () => {
      const { samples } = await remediationSamples(api!);

      expect(samples.filter((s) => s.startsWith('remediation_last_run'))).toEqual([
        `remediation_last_run_timestamp_seconds{mode="dry-run"} ${seconds(NOW)}`,
        `remediation_last_run_timestamp_seconds{mode="enforce"} ${seconds(ENFORCE_AT)}`,
        'remediation_last_run_status{mode="dry-run",status="complete"} 1',
        'remediation_last_run_status{mode="dry-run",status="refused"} 0',
        'remediation_last_run_status{mode="dry-run",status="stopped"} 0',
        'remediation_last_run_status{mode="dry-run",status="failed"} 0',
        'remediation_last_run_status{mode="enforce",status="complete"} 1',
        'remediation_last_run_status{mode="enforce",status="refused"} 0',
        'remediation_last_run_status{mode="enforce",status="stopped"} 0',
        'remediation_last_run_status{mode="enforce",status="failed"} 0',
      ]);
    });
  });
});
