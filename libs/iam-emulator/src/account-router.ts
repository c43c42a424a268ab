import type { IncomingHttpHeaders } from 'node:http';
import { AccountState, type AccountStateDefaults } from './account-state';
import { IamAccount } from './iam-account.model';
import type { EmulatedOrganization, EmulatedOu, IamEmulatorOptions } from './iam-emulator.types';
import { SessionStore, type EmulatedSession } from './session-store';

export const EMULATED_ROOT_ID = 'r-0000';
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
export const OU_ID_PATTERN = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const ROOT_ID_PATTERN = /^r-[0-9a-z]{4,32}$/;
/** The user the base credentials sign as, in whichever account they belong to. */
export const BASE_USER_NAME = 'emulator';
const MAX_OU_DEPTH = 5;

/** Who signed a request: the base credentials (no session) or temporary credentials from AssumeRole. */
export interface Caller {
  accessKeyId: string;
  state: AccountState;
  session?: EmulatedSession;
}

export type AuthFailureReason = 'MissingAuthenticationToken' | 'InvalidClientTokenId' | 'ExpiredToken';

/** Each protocol renders it its own way (Query code, JSON __type, SES error type). */
export class AuthFailure extends Error {
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
  ) {
    super(message);
    this.name = AuthFailure.name;
  }
}

export function callerArn(caller: Caller): string {
  const { session } = caller;
  return session
    ? `arn:aws:sts::${session.accountId}:assumed-role/${session.roleName}/${session.sessionName}`
    : `arn:aws:iam::${caller.state.id}:user/${BASE_USER_NAME}`;
}

/** `Credential=<key id>/<date>/<region>/<service>/aws4_request` of a SigV4 Authorization header. */
export function signingKeyOf(authorization: string | undefined): { accessKeyId: string; service: string } | undefined {
  const match = /Credential=([^/,\s]+)\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match ? { accessKeyId: match[1], service: match[2] } : undefined;
}

function validateOrganization(org: EmulatedOrganization): void {
  const ids = new Set<string>();
  for (const { id, account } of org.accounts) {
    if (!ACCOUNT_ID_PATTERN.test(id) || ids.has(id)) {
      throw new Error(`organization: account id ${id} is not 12 digits or appears twice`);
    }
    if (account.accountId !== id) {
      throw new Error(`organization: account ${id} holds an IamAccount of account ${account.accountId}`);
    }
    ids.add(id);
  }
  if (!ids.has(org.managementAccountId)) {
    throw new Error(`organization: management account ${org.managementAccountId} is not one of its accounts`);
  }
  const ous = new Map<string, EmulatedOu>((org.ous ?? []).map((ou) => [ou.id, ou]));
  const parentKnown = (id: string | undefined) => id === undefined || id === EMULATED_ROOT_ID || ous.has(id);
  for (const ou of ous.values()) {
    if (!OU_ID_PATTERN.test(ou.id) || !parentKnown(ou.parentId)) {
      throw new Error(`organization: OU ${ou.id} has the wrong shape or an unknown parent ${ou.parentId}`);
    }
    let depth = 0;
    for (let at: EmulatedOu | undefined = ou; at; at = ous.get(at.parentId)) {
      if (++depth > MAX_OU_DEPTH) {
        throw new Error(`organization: OU ${ou.id} is nested deeper than ${MAX_OU_DEPTH} levels, or in a cycle`);
      }
    }
  }
  const misplaced = org.accounts.find((account) => !parentKnown(account.parentId));
  if (misplaced) {
    throw new Error(`organization: account ${misplaced.id} has an unknown parent ${misplaced.parentId}`);
  }
}

/**
 * The accounts an emulator serves and which of them each request is for: the base credentials belong to the
 * default (or management) account, temporary credentials to the account whose role was assumed.
 */
export class AccountRouter {
  readonly base: AccountState;
  readonly organization?: EmulatedOrganization;
  readonly sessions: SessionStore;
  private readonly states = new Map<string, AccountState>();

  constructor(
    options: IamEmulatorOptions,
    defaults: AccountStateDefaults,
    private readonly clock: () => number,
  ) {
    const org = options.organization;
    if (org && options.account) {
      throw new Error('IamEmulator takes either account or organization, not both');
    }
    if (org) {
      validateOrganization(org);
      this.organization = org;
      for (const init of org.accounts) {
        const faults = init.id === org.managementAccountId ? { ...options.faults, ...init.faults } : init.faults;
        this.states.set(init.id, new AccountState({ ...init, faults }, defaults));
      }
    } else {
      const account = options.account ?? new IamAccount();
      const init = { id: account.accountId, name: 'default', account, faults: options.faults };
      this.states.set(account.accountId, new AccountState(init, defaults));
    }
    const baseId = org?.managementAccountId ?? [...this.states.keys()][0];
    this.base = this.require(baseId);
    this.sessions = new SessionStore(options.maxSessions);
  }

  get(accountId: string): AccountState | undefined {
    return this.states.get(accountId);
  }

  /** For the emulator's own API: an unknown id is a mistake in the test, not a request to answer. */
  require(accountId: string): AccountState {
    const state = this.states.get(accountId);
    if (!state) {
      throw new Error(`the emulator has no account ${accountId}`);
    }
    return state;
  }

  all(): AccountState[] {
    return [...this.states.values()];
  }

  /**
   * Keys not issued as temporary credentials are the base credentials, whatever their id, so single-account
   * tests may sign with anything; a temporary ('ASIA') key must be one AssumeRole issued, with its token.
   */
  identify(headers: IncomingHttpHeaders, requireAuth: boolean): Caller {
    const signer = signingKeyOf(headers.authorization);
    if (!signer) {
      if (requireAuth) {
        throw new AuthFailure('MissingAuthenticationToken', 'Request is missing Authentication Token');
      }
      return { accessKeyId: '', state: this.base };
    }
    if (!signer.accessKeyId.startsWith('ASIA')) {
      return { accessKeyId: signer.accessKeyId, state: this.base };
    }
    const session = this.sessions.find(signer.accessKeyId);
    if (!session || headers['x-amz-security-token'] !== session.sessionToken) {
      throw new AuthFailure('InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    if (this.clock() >= session.expiresAt) {
      throw new AuthFailure('ExpiredToken', 'The security token included in the request is expired');
    }
    return { accessKeyId: session.accessKeyId, state: this.require(session.accountId), session };
  }
}
