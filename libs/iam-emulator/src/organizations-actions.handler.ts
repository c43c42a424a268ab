import { EMULATED_ROOT_ID, OU_ID_PATTERN, ROOT_ID_PATTERN, type Caller } from './account-router';
import type { AccountState } from './account-state';
import type { EmulatedOrganization, EmulatedOu } from './iam-emulator.types';
import { JsonError, type JsonInput } from './json-protocol';

export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128';
export const ORGANIZATIONS_OPERATIONS = [
  'DescribeOrganization',
  'ListAccounts',
  'ListRoots',
  'ListChildren',
  'ListAccountsForParent',
] as const;
export type OrganizationsOperation = (typeof ORGANIZATIONS_OPERATIONS)[number];
export const DEFAULT_ORGANIZATIONS_PAGE_SIZE = 20;
const MAX_RESULTS_LIMIT = 20;

type ChildType = 'ACCOUNT' | 'ORGANIZATIONAL_UNIT';

interface Cursor {
  op: string;
  parentId?: string;
  offset: number;
}

interface Page<T> {
  items: T[];
  nextToken?: string;
}

function invalidInput(message: string): JsonError {
  return new JsonError('InvalidInputException', 400, message);
}

function stringField(input: JsonInput, name: string): string | undefined {
  const value = input[name];
  if (value !== undefined && typeof value !== 'string') {
    throw invalidInput(`${name} must be a string.`);
  }
  return value;
}

function requiredField(input: JsonInput, name: string): string {
  const value = stringField(input, name);
  if (!value) {
    throw invalidInput(`You must specify a value for ${name}.`);
  }
  return value;
}

export interface OrganizationsContext {
  organization?: EmulatedOrganization;
  accounts: (accountId: string) => AccountState;
}

/** AWS Organizations over JSON 1.1, read-only, as the management account sees its organization. */
export class OrganizationsActionHandler {
  constructor(private readonly context: OrganizationsContext) {}

  isSupported(operation: string): operation is OrganizationsOperation {
    return (ORGANIZATIONS_OPERATIONS as readonly string[]).includes(operation);
  }

  handle(operation: OrganizationsOperation, input: JsonInput, caller: Caller): object {
    const org = this.context.organization;
    if (!org) {
      throw new JsonError('AWSOrganizationsNotInUseException', 400, 'Your account is not a member of an organization.');
    }
    if (caller.state.id !== org.managementAccountId) {
      throw new JsonError(
        'AccessDeniedException',
        400,
        "You don't have permissions to access this resource. Only the management account can call this operation.",
      );
    }
    switch (operation) {
      case 'DescribeOrganization':
        return { Organization: this.describe(org) };
      case 'ListAccounts':
        return this.accounts(
          org,
          input,
          operation,
          org.accounts.map((account) => account.id),
        );
      case 'ListRoots': {
        const page = this.page(org, input, operation, [EMULATED_ROOT_ID]);
        const roots = page.items.map((id) => ({
          Id: id,
          Arn: this.arn(org, 'root', id),
          Name: 'Root',
          PolicyTypes: [],
        }));
        return { Roots: roots, NextToken: page.nextToken };
      }
      case 'ListChildren': {
        const parentId = this.parent(org, input);
        const childType = requiredField(input, 'ChildType');
        if (childType !== 'ACCOUNT' && childType !== 'ORGANIZATIONAL_UNIT') {
          throw invalidInput('ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT.');
        }
        const ids = this.childrenOf(org, parentId, childType);
        const page = this.page(org, input, operation, ids, parentId);
        return { Children: page.items.map((id) => ({ Id: id, Type: childType })), NextToken: page.nextToken };
      }
      case 'ListAccountsForParent': {
        const parentId = this.parent(org, input);
        return this.accounts(org, input, operation, this.childrenOf(org, parentId, 'ACCOUNT'), parentId);
      }
    }
  }

  private describe(org: EmulatedOrganization): object {
    const management = this.context.accounts(org.managementAccountId);
    return {
      Id: this.organizationId(org),
      Arn: `arn:aws:organizations::${org.managementAccountId}:organization/${this.organizationId(org)}`,
      FeatureSet: 'ALL',
      MasterAccountArn: this.arn(org, 'account', management.id),
      MasterAccountId: management.id,
      MasterAccountEmail: management.email,
      AvailablePolicyTypes: [],
    };
  }

  private accounts(org: EmulatedOrganization, input: JsonInput, op: string, ids: string[], parentId?: string) {
    const page = this.page(org, input, op, ids, parentId);
    const accounts = page.items.map((id) => {
      const state = this.context.accounts(id);
      return {
        Id: state.id,
        Arn: this.arn(org, 'account', state.id),
        Email: state.email,
        Name: state.name,
        Status: state.status,
        State: state.status,
        JoinedMethod: state.id === org.managementAccountId ? 'CREATED' : 'INVITED',
        JoinedTimestamp: Math.floor(state.account.root.createDate.getTime() / 1000),
      };
    });
    return { Accounts: accounts, NextToken: page.nextToken };
  }

  private parent(org: EmulatedOrganization, input: JsonInput): string {
    const parentId = requiredField(input, 'ParentId');
    if (!ROOT_ID_PATTERN.test(parentId) && !OU_ID_PATTERN.test(parentId)) {
      throw invalidInput(`ParentId ${parentId} is not a root or OU id.`);
    }
    if (parentId !== EMULATED_ROOT_ID && !(org.ous ?? []).some((ou) => ou.id === parentId)) {
      throw new JsonError(
        'ParentNotFoundException',
        400,
        "We can't find a root or OU with the ParentId that you specified.",
      );
    }
    return parentId;
  }

  private childrenOf(org: EmulatedOrganization, parentId: string, type: ChildType): string[] {
    const under = (item: { parentId?: string }) => (item.parentId ?? EMULATED_ROOT_ID) === parentId;
    return type === 'ACCOUNT'
      ? org.accounts.filter(under).map((account) => account.id)
      : (org.ous ?? []).filter(under).map((ou: EmulatedOu) => ou.id);
  }

  private page(
    org: EmulatedOrganization,
    input: JsonInput,
    op: string,
    ids: string[],
    parentId?: string,
  ): Page<string> {
    const maxResults = input.MaxResults;
    if (
      maxResults !== undefined &&
      (typeof maxResults !== 'number' ||
        !Number.isInteger(maxResults) ||
        maxResults < 1 ||
        maxResults > MAX_RESULTS_LIMIT)
    ) {
      throw invalidInput(`MaxResults must be between 1 and ${MAX_RESULTS_LIMIT}.`);
    }
    const size = Math.min(
      typeof maxResults === 'number' ? maxResults : MAX_RESULTS_LIMIT,
      org.pageSize ?? DEFAULT_ORGANIZATIONS_PAGE_SIZE,
    );
    const token = stringField(input, 'NextToken');
    const start = token === undefined ? 0 : this.decode(token, op, parentId);
    const end = start + size;
    const nextToken =
      end < ids.length ? Buffer.from(JSON.stringify({ op, parentId, offset: end })).toString('base64url') : undefined;
    return { items: ids.slice(start, end), nextToken };
  }

  private decode(token: string, op: string, parentId: string | undefined): number {
    try {
      const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
      if (cursor.op === op && cursor.parentId === parentId && Number.isInteger(cursor.offset)) {
        return cursor.offset;
      }
    } catch {
      // answered below, as Organizations answers a token it did not issue
    }
    throw invalidInput('The specified NextToken is not valid.');
  }

  private organizationId(org: EmulatedOrganization): string {
    return `o-${org.managementAccountId.slice(2)}`;
  }

  private arn(org: EmulatedOrganization, kind: 'account' | 'root', id: string): string {
    return `arn:aws:organizations::${org.managementAccountId}:${kind}/${this.organizationId(org)}/${id}`;
  }
}
