/** A key as ListAccessKeys shows it right now. */
export interface LiveAccessKey {
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createdAt: Date;
}

export interface LiveLastUse {
  /** The owner IAM names for the key (GetAccessKeyLastUsed answers it). */
  userName: string | null;
  lastUsedAt: Date | null;
}

/**
 * The remediation job's door to one account's IAM: two reads for the live re-check and the only two writes the
 * service ever makes. Built under the remediation identity (its own role), never the scanner's read-only one.
 */
export interface RemediationIamClient {
  readonly accountId: string;
  /** Every key of the user; [] when the user is gone. */
  listAccessKeys(userName: string): Promise<LiveAccessKey[]>;
  /** null when the key no longer exists. */
  lastUse(accessKeyId: string): Promise<LiveLastUse | null>;
  /** The user's tags (for tag exemptions, `iam-key-monitor:exempt-*`); {} when the user is gone. */
  userTags(userName: string): Promise<Record<string, string>>;
  /** UpdateAccessKey to Inactive, by key id. */
  deactivate(userName: string, accessKeyId: string): Promise<void>;
  /** DeleteAccessKey, by key id. */
  delete(userName: string, accessKeyId: string): Promise<void>;
}

export interface RemediationIamClients {
  forAccount(accountId: string): Promise<RemediationIamClient>;
}
