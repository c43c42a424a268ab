/** IAM's words for "none" in last-use fields, in GetAccessKeyLastUsed and in the credential report alike. */
const NO_LAST_USE = new Set(['n/a', 'no_information', 'not_supported', '']);

/** A service or region name, or null where IAM has none. */
export function lastUseName(value: string | undefined | null): string | null {
  return value === undefined || value === null || NO_LAST_USE.has(value.toLowerCase()) ? null : value;
}
