export const STORE_ENGINE = Symbol('STORE_ENGINE');
export const STORE_MIGRATIONS = Symbol('STORE_MIGRATIONS');
