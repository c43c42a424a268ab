import { createHash } from 'node:crypto';
import { callerArn, type AccountRouter, type Caller } from './account-router';
import { QueryError, type XmlNode } from './query-protocol';

export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const STS_ACTIONS = ['GetCallerIdentity', 'AssumeRole'] as const;
export type StsAction = (typeof STS_ACTIONS)[number];
export const DEFAULT_MEMBER_ROLE_NAME = 'IamKeyMonitorReadOnly';
export const DEFAULT_SESSION_SECONDS = 3600;

const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
const MIN_DURATION_SECONDS = 900;
const MAX_DURATION_SECONDS = 43_200;

export interface StsContext {
  router: AccountRouter;
  memberRoleName: string;
  /** Further role names AssumeRole grants in every account (a remediation role beside the read-only one). */
  otherRoleNames?: readonly string[];
  requiredExternalId?: string;
  sessionTtlSeconds?: number;
  clock: () => number;
}

function invalid(name: string, value: string | null, constraint: string): QueryError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new QueryError(
    'ValidationError',
    400,
    `1 validation error detected: Value ${shown} at '${name}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Whose role a RoleArn names: the account id, or undefined for an ARN that is not a role's. */
export function roleArnAccount(roleArn: string | null): string | undefined {
  return ROLE_ARN_PATTERN.exec(roleArn ?? '')?.[1];
}

function stableId(prefix: string, text: string): string {
  return prefix + createHash('sha256').update(text).digest('hex').slice(0, 17).toUpperCase();
}

/** STS over the Query protocol: who am I, and temporary credentials for a member account's role. */
export class StsActionHandler {
  constructor(private readonly context: StsContext) {}

  isSupported(action: string): action is StsAction {
    return (STS_ACTIONS as readonly string[]).includes(action);
  }

  handle(action: StsAction, params: URLSearchParams, caller: Caller): XmlNode {
    switch (action) {
      case 'GetCallerIdentity':
        return this.getCallerIdentity(caller);
      case 'AssumeRole':
        return this.assumeRole(params, caller);
    }
  }

  private getCallerIdentity(caller: Caller): XmlNode {
    const { session } = caller;
    return {
      UserId: session
        ? `${stableId('AROA', `${session.accountId}/${session.roleName}`)}:${session.sessionName}`
        : stableId('AIDA', caller.state.id),
      Account: caller.state.id,
      Arn: callerArn(caller),
    };
  }

  private assumeRole(params: URLSearchParams, caller: Caller): XmlNode {
    const roleArn = params.get('RoleArn');
    const sessionName = params.get('RoleSessionName');
    const externalId = params.get('ExternalId');
    const durationText = params.get('DurationSeconds');
    const match = ROLE_ARN_PATTERN.exec(roleArn ?? '');
    if (!roleArn || !match) {
      throw invalid('roleArn', roleArn, 'Member must be the ARN of an IAM role');
    }
    if (!sessionName || !SESSION_NAME_PATTERN.test(sessionName)) {
      throw invalid('roleSessionName', sessionName, 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
    }
    if (externalId !== null && !EXTERNAL_ID_PATTERN.test(externalId)) {
      throw invalid('externalId', externalId, 'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*');
    }
    const duration = durationText === null ? DEFAULT_SESSION_SECONDS : Number(durationText);
    if (!Number.isInteger(duration) || duration < MIN_DURATION_SECONDS || duration > MAX_DURATION_SECONDS) {
      throw invalid(
        'durationSeconds',
        durationText,
        `Member must have value between ${MIN_DURATION_SECONDS} and ${MAX_DURATION_SECONDS}`,
      );
    }
    const [, accountId, roleName] = match;
    const { router, memberRoleName, otherRoleNames, requiredExternalId, sessionTtlSeconds, clock } = this.context;
    const target = router.get(accountId);
    const refused =
      !target ||
      target.status !== 'ACTIVE' ||
      (roleName !== memberRoleName && !otherRoleNames?.includes(roleName)) ||
      (requiredExternalId !== undefined && externalId !== requiredExternalId) ||
      target.faults.assumeRoleDenied.has(accountId);
    if (refused) {
      throw new QueryError(
        'AccessDenied',
        403,
        `User: ${callerArn(caller)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    const session = router.sessions.issue({
      accountId,
      roleName,
      sessionName,
      expiresAt: clock() + (sessionTtlSeconds ?? duration) * 1000,
    });
    return {
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: new Date(session.expiresAt),
      },
      AssumedRoleUser: {
        AssumedRoleId: `${stableId('AROA', `${accountId}/${roleName}`)}:${sessionName}`,
        Arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
      },
    };
  }
}
