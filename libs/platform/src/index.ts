export * from './config/validate-env';
export * from './config/env-transforms';
