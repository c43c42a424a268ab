export * from './config/validate-env';
export * from './config/env-transforms';
export * from './http/error-body';
export * from './http/validation.pipe';
export * from './http/json-body.middleware';
