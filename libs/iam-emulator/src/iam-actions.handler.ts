import type { CredentialReportGenerator } from './credential-report.generator';
import { IamAccountError, type AccessKeyLocation, type EmulatedUser, type IamAccount } from './iam-account.model';
import { QueryError, type XmlNode } from './query-protocol';

export const IAM_ACTIONS = [
  'ListUsers',
  'ListAccessKeys',
  'ListUserTags',
  'GetAccessKeyLastUsed',
  'GenerateCredentialReport',
  'GetCredentialReport',
  'UpdateAccessKey',
  'DeleteAccessKey',
] as const;
export type IamAction = (typeof IAM_ACTIONS)[number];

const DEFAULT_MAX_ITEMS = 100;
const MAX_MAX_ITEMS = 1000;

interface Cursor {
  action: string;
  /** Name of the last item served, for lists sorted by name (robust to deletions between pages). */
  after?: string;
  /** Index of the next item, for lists in creation order. */
  offset?: number;
}

interface Page<T> {
  items: T[];
  isTruncated: boolean;
  marker?: string;
}

function encodeMarker(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeMarker(marker: string, action: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as Cursor;
    if (cursor.action === action) {
      return cursor;
    }
  } catch {
    // fall through to the same answer IAM gives for a marker it did not issue
  }
  throw new QueryError('InvalidInput', 400, 'Invalid Marker.');
}

function maxItemsOf(params: URLSearchParams): number {
  const raw = params.get('MaxItems');
  if (raw === null) {
    return DEFAULT_MAX_ITEMS;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > MAX_MAX_ITEMS) {
    throw new QueryError(
      'ValidationError',
      400,
      `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and ${MAX_MAX_ITEMS}`,
    );
  }
  return value;
}

/** Binary search: index of the first item whose name sorts after `name` (items are sorted by name). */
function firstAfter<T>(items: T[], name: string, nameOf: (item: T) => string): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (nameOf(items[mid]) > name) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return low;
}

function paginate<T>(items: T[], params: URLSearchParams, action: string, nameOf?: (item: T) => string): Page<T> {
  const maxItems = maxItemsOf(params);
  const marker = params.get('Marker');
  let start = 0;
  if (marker) {
    const cursor = decodeMarker(marker, action);
    if (nameOf && cursor.after !== undefined) {
      start = firstAfter(items, cursor.after, nameOf);
    } else {
      start = cursor.offset ?? 0;
    }
  }
  const end = start + maxItems;
  const page = items.slice(start, end);
  const isTruncated = end < items.length;
  if (!isTruncated) {
    return { items: page, isTruncated };
  }
  const cursor: Cursor = nameOf ? { action, after: nameOf(page[page.length - 1]) } : { action, offset: end };
  return { items: page, isTruncated, marker: encodeMarker(cursor) };
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) {
    throw new QueryError(
      'ValidationError',
      400,
      `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export interface IamActionContext {
  account: IamAccount;
  report: CredentialReportGenerator;
  /** Users listed by ListUsers that are gone by the time anything asks about them. */
  vanishingUsers: Set<string>;
}

/** Turns one Query request into the XML-ready result of its action, or throws a QueryError. */
export class IamActionHandler {
  constructor(private readonly context: IamActionContext) {}

  isSupported(action: string): action is IamAction {
    return (IAM_ACTIONS as readonly string[]).includes(action);
  }

  /** Undefined for the write actions, whose answer holds only the response metadata, as IAM's does. */
  handle(action: IamAction, params: URLSearchParams): XmlNode | undefined {
    switch (action) {
      case 'ListUsers':
        return this.listUsers(params);
      case 'ListAccessKeys':
        return this.listAccessKeys(params);
      case 'ListUserTags':
        return this.listUserTags(params);
      case 'GetAccessKeyLastUsed':
        return this.getAccessKeyLastUsed(params);
      case 'GenerateCredentialReport': {
        const { state, description } = this.context.report.generate();
        return { State: state, Description: description };
      }
      case 'GetCredentialReport': {
        const report = this.context.report.get();
        return { Content: report.content, ReportFormat: 'text/csv', GeneratedTime: report.generatedTime };
      }
      case 'UpdateAccessKey':
        return this.updateAccessKey(params);
      case 'DeleteAccessKey':
        return this.deleteAccessKey(params);
    }
  }

  /** Status Active or Inactive; UserName optional (the caller's own keys otherwise), and must own the key when given. */
  private updateAccessKey(params: URLSearchParams): undefined {
    const status = required(params, 'Status');
    if (status !== 'Active' && status !== 'Inactive') {
      throw new QueryError(
        'ValidationError',
        400,
        `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
      );
    }
    const found = this.ownedKey(params);
    this.context.account.setAccessKeyStatus(found.key.accessKeyId, status);
    return undefined;
  }

  private deleteAccessKey(params: URLSearchParams): undefined {
    const found = this.ownedKey(params);
    this.context.account.deleteAccessKey(found.key.accessKeyId);
    return undefined;
  }

  private ownedKey(params: URLSearchParams): AccessKeyLocation {
    const accessKeyId = required(params, 'AccessKeyId');
    const userName = params.get('UserName');
    const user = userName ? this.userNamed(userName) : undefined;
    const found = this.context.account.findAccessKey(accessKeyId);
    if (!found || (user && found.user !== user)) {
      throw new QueryError('NoSuchEntity', 404, `The Access Key with id ${accessKeyId} cannot be found.`);
    }
    return found;
  }

  private listUsers(params: URLSearchParams): XmlNode {
    const prefix = params.get('PathPrefix') ?? '/';
    const users = this.context.account.listUsers().filter((user) => user.path.startsWith(prefix));
    const page = paginate(users, params, 'ListUsers', (user) => user.userName);
    return {
      IsTruncated: page.isTruncated,
      Marker: page.marker,
      Users: page.items.map((user) => ({
        Path: user.path,
        UserName: user.userName,
        UserId: user.userId,
        Arn: user.arn,
        CreateDate: user.createDate,
        PasswordLastUsed: user.password?.lastUsed,
      })),
    };
  }

  private listAccessKeys(params: URLSearchParams): XmlNode {
    const userName = params.get('UserName');
    if (!userName) {
      throw new QueryError('ValidationError', 400, 'Must specify userName when calling with non-User credentials');
    }
    const user = this.userNamed(userName);
    const page = paginate(user.accessKeys, params, 'ListAccessKeys');
    return {
      IsTruncated: page.isTruncated,
      Marker: page.marker,
      AccessKeyMetadata: page.items.map((key) => ({
        UserName: user.userName,
        AccessKeyId: key.accessKeyId,
        Status: key.status,
        CreateDate: key.createDate,
      })),
    };
  }

  private listUserTags(params: URLSearchParams): XmlNode {
    const user = this.userNamed(required(params, 'UserName'));
    const tags = Object.entries(user.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = paginate(tags, params, 'ListUserTags');
    return {
      IsTruncated: page.isTruncated,
      Marker: page.marker,
      Tags: page.items.map(([Key, Value]) => ({ Key, Value })),
    };
  }

  private getAccessKeyLastUsed(params: URLSearchParams): XmlNode {
    const accessKeyId = required(params, 'AccessKeyId');
    const found = this.context.account.findAccessKey(accessKeyId);
    if (!found) {
      throw new QueryError('NoSuchEntity', 404, `The Access Key with id ${accessKeyId} cannot be found.`);
    }
    const lastUsed = found.key.lastUsed;
    return {
      UserName: found.user?.userName,
      AccessKeyLastUsed: {
        LastUsedDate: lastUsed?.date,
        ServiceName: lastUsed?.serviceName ?? 'N/A',
        Region: lastUsed?.region ?? 'N/A',
      },
    };
  }

  private userNamed(userName: string): EmulatedUser {
    const { account, vanishingUsers } = this.context;
    if (vanishingUsers.delete(userName)) {
      account.deleteUser(userName);
    }
    try {
      return account.requireUser(userName);
    } catch (err) {
      if (err instanceof IamAccountError) {
        throw new QueryError('NoSuchEntity', 404, err.message.replace(/^NoSuchEntity: /, ''));
      }
      throw err;
    }
  }
}
