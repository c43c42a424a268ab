export * from './health/event-loop-lag.monitor';
export * from './health/iam.health';
export * from './health/liveness.health';
export * from './health/store.health';
export * from './metrics/http-metrics.middleware';
export * from './metrics/metrics.module';
export * from './metrics/metrics.service';
export * from './metrics/rate-governor-metrics.binder';
