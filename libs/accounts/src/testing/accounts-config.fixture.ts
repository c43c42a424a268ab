import { loadAccountsConfig, type AccountsConfig } from '../config/accounts.config';

/** The config these variables give on an otherwise empty environment, retry-free; each spec overrides what it is about. */
export function testAccountsConfig(
  env: Record<string, string> = {},
  overrides: Partial<AccountsConfig> = {},
): AccountsConfig {
  return { ...loadAccountsConfig(env), maxAttempts: 1, ...overrides };
}
