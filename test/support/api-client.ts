export const LIST_USERS_PATH = '/v1/iam/old-access-keys/list-users';
export const CREDENTIAL_REPORT_PATH = '/v1/iam/old-access-keys/credential-report';

export interface OldKeyJson {
  account_id: string;
  account_name?: string;
  user_name: string;
  access_key_id: string;
  created_date: string;
  status: 'Active' | 'Inactive';
  age_hours: number;
}

export interface RootKeyJson {
  account_id: string;
  account_name?: string;
  slot: 1 | 2;
  active: boolean;
  last_rotated: string;
  age_hours: number;
}

export interface OldKeysBody {
  old_access_keys: OldKeyJson[];
  root_access_keys: RootKeyJson[];
  count: number;
  source: 'list-users' | 'credential-report';
  hours: number;
  include_inactive: boolean;
  data_read_at: string;
  report_generated_at?: string;
  complete: boolean;
  accounts: AccountJson[];
}

/** One account's part of an answer (and of an ACCOUNTS_FAILED body). */
export interface AccountJson {
  account_id: string;
  account_name?: string;
  status: 'ok' | 'failed' | 'skipped';
  data_read_at?: string;
  report_generated_at?: string;
  key_count?: number;
  code?: string;
  action?: string;
  message?: string;
  retry_after_seconds?: number;
  reason?: string;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  fields?: { field: string; messages: string[] }[];
  action?: string;
  retry_after_seconds?: number;
  error_id?: string;
  accounts?: AccountJson[];
}

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface KeyQuery {
  hours: number;
  includeInactive: boolean;
  /** Sent as repeated `account_id` on GET, an array on POST. */
  accountIds?: string[];
  allowPartial?: boolean;
}

export type Route = 'list-users' | 'credential-report';

/** One HTTP exchange whose body must be JSON (every answer of the API is, errors included). */
export async function requestJson<T>(url: string, init?: RequestInit): Promise<JsonResponse<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`${init?.method ?? 'GET'} ${url} answered ${res.status} with a body that is not JSON: ${text}`);
  }
  return { status: res.status, headers: res.headers, body };
}

/** Asks either route for the same query, the way a client would. */
export function askOldKeys<T = OldKeysBody>(
  baseUrl: string,
  route: Route,
  query: KeyQuery,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const { accountIds, allowPartial } = query;
  if (route === 'list-users') {
    const qs = new URLSearchParams({ hours: String(query.hours), include_inactive: String(query.includeInactive) });
    for (const id of accountIds ?? []) {
      qs.append('account_id', id);
    }
    if (allowPartial !== undefined) {
      qs.set('allow_partial', String(allowPartial));
    }
    return requestJson<T>(`${baseUrl}${LIST_USERS_PATH}?${qs.toString()}`, { headers });
  }
  return requestJson<T>(`${baseUrl}${CREDENTIAL_REPORT_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      hours: query.hours,
      include_inactive: query.includeInactive,
      ...(accountIds ? { account_id: accountIds } : {}),
      ...(allowPartial !== undefined ? { allow_partial: allowPartial } : {}),
    }),
  });
}

/** The part of an answer a test can compare exactly: who, which key, its status and creation date (ages drift). */
export function keyRows(body: OldKeysBody): string[] {
  return body.old_access_keys.map((k) => `${k.user_name} ${k.access_key_id} ${k.status} ${k.created_date}`);
}

/** keyRows of one account's keys, in answer order. */
export function accountKeyRows(body: OldKeysBody, accountId: string): string[] {
  return keyRows({ ...body, old_access_keys: body.old_access_keys.filter((k) => k.account_id === accountId) });
}
