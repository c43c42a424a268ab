import { Registry } from 'prom-client';
import type { LadderRepository } from '@app/store';
import { NotifierMetricsCollector } from './notifier-metrics.collector';
import { STORE_METRICS_CACHE_MS } from './store-snapshot';

const NOW = new Date('2026-11-24T10:00:00.000Z');

async function samples(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line.startsWith('notifier_'));
}

describe(NotifierMetricsCollector.name, () => {
  let registry: Registry;
  let store: jest.Mocked<Pick<LadderRepository, 'openStageCounts' | 'rotationTimes'>>;
  let elapsed: number;

  beforeEach(() => {
    registry = new Registry();
    store = {
      openStageCounts: jest.fn().mockResolvedValue([
        { stage: 'warning', count: 4 },
        { stage: 'reminder', count: 2 },
      ]),
      rotationTimes: jest.fn((_until: Date, days: number) =>
        Promise.resolve(days === 30 ? { medianDays: null, rotations: 0 } : { medianDays: 3.5, rotations: 6 }),
      ),
    };
    elapsed = 0;
    new NotifierMetricsCollector(registry, store, { clock: () => NOW, elapsedMs: () => elapsed });
  });

  it('shows every stage (0 where none), the rotations per window, and a median only where there was a rotation', async () => {
    expect(await samples(registry)).toEqual([
      'notifier_keys_by_stage{stage="unsent"} 0',
      'notifier_keys_by_stage{stage="warning"} 4',
      'notifier_keys_by_stage{stage="final"} 0',
      'notifier_keys_by_stage{stage="expired"} 0',
      'notifier_keys_by_stage{stage="reminder"} 2',
      'notifier_rotation_median_days{window_days="90"} 3.5',
      'notifier_rotations{window_days="30"} 0',
      'notifier_rotations{window_days="90"} 6',
    ]);
    expect(store.rotationTimes.mock.calls).toEqual([
      [NOW, 30],
      [NOW, 90],
    ]);
  });

  it('reads the store once per cache time for every gauge and scrape, and shows nothing of a failed read', async () => {
    await samples(registry);
    await samples(registry);
    expect(store.openStageCounts).toHaveBeenCalledTimes(1);
    elapsed += STORE_METRICS_CACHE_MS;
    store.openStageCounts.mockRejectedValueOnce(Object.assign(new Error('password=secret'), { name: 'DatabaseError' }));
    expect(await samples(registry)).toEqual([]);
    expect(store.openStageCounts).toHaveBeenCalledTimes(2);
  });
});
