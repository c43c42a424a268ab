import { SeededRandom } from './seeded-random';

export type AccessKeyStatus = 'Active' | 'Inactive';

export const DEFAULT_ACCOUNT_ID = '111111111111';
export const USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;

export interface AccessKeyLastUsed {
  date: Date;
  serviceName: string;
  region: string;
}

export interface EmulatedAccessKey {
  accessKeyId: string;
  status: AccessKeyStatus;
  createDate: Date;
  lastUsed?: AccessKeyLastUsed;
}

export interface ConsolePassword {
  lastChanged: Date;
  lastUsed?: Date;
}

export interface EmulatedUser {
  userName: string;
  userId: string;
  path: string;
  arn: string;
  createDate: Date;
  tags: Record<string, string>;
  /** Always in creation order, which is also the credential report's slot order. */
  accessKeys: EmulatedAccessKey[];
  password?: ConsolePassword;
  mfaActive: boolean;
}

export interface EmulatedRoot {
  createDate: Date;
  accessKeys: EmulatedAccessKey[];
  mfaActive: boolean;
  passwordLastUsed?: Date;
}

export interface NewAccessKey {
  accessKeyId?: string;
  status?: AccessKeyStatus;
  createDate?: Date;
  lastUsed?: AccessKeyLastUsed;
}

export interface NewUser {
  userName: string;
  createDate?: Date;
  path?: string;
  userId?: string;
  tags?: Record<string, string>;
  accessKeys?: NewAccessKey[];
  password?: ConsolePassword;
  mfaActive?: boolean;
}

export interface IamAccountOptions {
  accountId?: string;
  root?: Partial<EmulatedRoot>;
  /** Seeds the ids the account makes up for users and keys added without one. */
  idSeed?: number;
  /** IAM allows two; raise it only to exercise ListAccessKeys paging beyond what AWS can produce. */
  maxAccessKeysPerUser?: number;
}

export interface AccessKeyLocation {
  /** Undefined for the root user's keys. */
  user?: EmulatedUser;
  key: EmulatedAccessKey;
}

export class IamAccountError extends Error {
  constructor(
    readonly code: 'NoSuchEntity' | 'EntityAlreadyExists' | 'LimitExceeded' | 'ValidationError',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = IamAccountError.name;
  }
}

function byCreateDate(a: EmulatedAccessKey, b: EmulatedAccessKey): number {
  return a.createDate.getTime() - b.createDate.getTime();
}

/** The mutable state of one emulated AWS account: its users, their keys and tags, and the root user. */
export class IamAccount {
  readonly accountId: string;
  readonly root: EmulatedRoot;
  readonly maxAccessKeysPerUser: number;
  private readonly users = new Map<string, EmulatedUser>();
  private readonly lowerCaseNames = new Set<string>();
  /** Key id to its owning user, or null for the root user; also guarantees ids stay unique. */
  private readonly keyOwners = new Map<string, EmulatedUser | null>();
  private sortedUsers?: EmulatedUser[];
  private readonly idRandom: SeededRandom;
  private readonly userIds = new Set<string>();

  constructor(options: IamAccountOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.maxAccessKeysPerUser = options.maxAccessKeysPerUser ?? 2;
    this.idRandom = new SeededRandom(options.idSeed ?? 0x1a2b3c);
    this.root = {
      createDate: options.root?.createDate ?? new Date('2015-01-01T00:00:00Z'),
      accessKeys: [],
      mfaActive: options.root?.mfaActive ?? true,
      passwordLastUsed: options.root?.passwordLastUsed,
    };
    for (const key of options.root?.accessKeys ?? []) {
      this.addRootAccessKey(key);
    }
  }

  get userCount(): number {
    return this.users.size;
  }

  /** Sorted by name, the order ListUsers answers in. */
  listUsers(): EmulatedUser[] {
    this.sortedUsers ??= [...this.users.values()].sort((a, b) =>
      a.userName < b.userName ? -1 : a.userName > b.userName ? 1 : 0,
    );
    return [...this.sortedUsers];
  }

  getUser(userName: string): EmulatedUser | undefined {
    return this.users.get(userName);
  }

  requireUser(userName: string): EmulatedUser {
    const user = this.users.get(userName);
    if (!user) {
      throw new IamAccountError('NoSuchEntity', `The user with name ${userName} cannot be found.`);
    }
    return user;
  }

  addUser(init: NewUser): EmulatedUser {
    if (!USER_NAME_PATTERN.test(init.userName)) {
      throw new IamAccountError('ValidationError', `Invalid user name ${init.userName}`);
    }
    if (this.lowerCaseNames.has(init.userName.toLowerCase())) {
      throw new IamAccountError('EntityAlreadyExists', `User with name ${init.userName} already exists.`);
    }
    const path = init.path ?? '/';
    const userId = init.userId ?? this.newUserId();
    this.userIds.add(userId);
    const user: EmulatedUser = {
      userName: init.userName,
      userId,
      path,
      arn: `arn:aws:iam::${this.accountId}:user${path}${init.userName}`,
      createDate: init.createDate ?? new Date(),
      tags: { ...init.tags },
      accessKeys: [],
      password: init.password,
      mfaActive: init.mfaActive ?? false,
    };
    this.users.set(user.userName, user);
    this.lowerCaseNames.add(user.userName.toLowerCase());
    this.sortedUsers = undefined;
    for (const key of init.accessKeys ?? []) {
      this.addAccessKey(user.userName, key);
    }
    return user;
  }

  deleteUser(userName: string): boolean {
    const user = this.users.get(userName);
    if (!user) {
      return false;
    }
    for (const key of user.accessKeys) {
      this.keyOwners.delete(key.accessKeyId);
    }
    this.users.delete(userName);
    this.sortedUsers = undefined;
    this.lowerCaseNames.delete(userName.toLowerCase());
    this.userIds.delete(user.userId);
    return true;
  }

  addAccessKey(userName: string, init: NewAccessKey = {}): EmulatedAccessKey {
    const user = this.requireUser(userName);
    if (user.accessKeys.length >= this.maxAccessKeysPerUser) {
      throw new IamAccountError(
        'LimitExceeded',
        `Cannot exceed quota for AccessKeysPerUser: ${this.maxAccessKeysPerUser}`,
      );
    }
    const key = this.newKey(init, user);
    user.accessKeys.push(key);
    user.accessKeys.sort(byCreateDate);
    return key;
  }

  addRootAccessKey(init: NewAccessKey = {}): EmulatedAccessKey {
    if (this.root.accessKeys.length >= 2) {
      throw new IamAccountError('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2');
    }
    const key = this.newKey(init, null);
    this.root.accessKeys.push(key);
    this.root.accessKeys.sort(byCreateDate);
    return key;
  }

  findAccessKey(accessKeyId: string): AccessKeyLocation | undefined {
    const owner = this.keyOwners.get(accessKeyId);
    if (owner === undefined) {
      return undefined;
    }
    const key = (owner ?? this.root).accessKeys.find((k) => k.accessKeyId === accessKeyId);
    return key && (owner ? { user: owner, key } : { key });
  }

  /** Works for user and root keys alike. */
  deleteAccessKey(accessKeyId: string): boolean {
    const found = this.findAccessKey(accessKeyId);
    if (!found) {
      return false;
    }
    const owner = found.user ?? this.root;
    owner.accessKeys = owner.accessKeys.filter((k) => k !== found.key);
    this.keyOwners.delete(accessKeyId);
    return true;
  }

  /** Replaces a key with a fresh one in one step, as a finished rotation leaves it. */
  rotateAccessKey(accessKeyId: string, init: NewAccessKey = {}): EmulatedAccessKey {
    const found = this.requireAccessKey(accessKeyId);
    this.deleteAccessKey(accessKeyId);
    const next = { createDate: new Date(), ...init };
    return found.user ? this.addAccessKey(found.user.userName, next) : this.addRootAccessKey(next);
  }

  setAccessKeyStatus(accessKeyId: string, status: AccessKeyStatus): void {
    this.requireAccessKey(accessKeyId).key.status = status;
  }

  setAccessKeyLastUsed(accessKeyId: string, lastUsed: AccessKeyLastUsed | undefined): void {
    this.requireAccessKey(accessKeyId).key.lastUsed = lastUsed;
  }

  /** Replaces all tags. */
  setUserTags(userName: string, tags: Record<string, string>): void {
    this.requireUser(userName).tags = { ...tags };
  }

  tagUser(userName: string, tags: Record<string, string>): void {
    Object.assign(this.requireUser(userName).tags, tags);
  }

  untagUser(userName: string, keys: string[]): void {
    const user = this.requireUser(userName);
    for (const key of keys) {
      delete user.tags[key];
    }
  }

  private requireAccessKey(accessKeyId: string): AccessKeyLocation {
    const found = this.findAccessKey(accessKeyId);
    if (!found) {
      throw new IamAccountError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
    }
    return found;
  }

  private newKey(init: NewAccessKey, owner: EmulatedUser | null): EmulatedAccessKey {
    const accessKeyId = init.accessKeyId ?? this.newAccessKeyId();
    if (this.keyOwners.has(accessKeyId)) {
      throw new IamAccountError('EntityAlreadyExists', `Access key ${accessKeyId} already exists.`);
    }
    this.keyOwners.set(accessKeyId, owner);
    return {
      accessKeyId,
      status: init.status ?? 'Active',
      createDate: init.createDate ?? new Date(),
      lastUsed: init.lastUsed,
    };
  }

  private newAccessKeyId(): string {
    let id: string;
    do {
      id = `AKIA${this.idRandom.base32(16)}`;
    } while (this.keyOwners.has(id));
    return id;
  }

  private newUserId(): string {
    let id: string;
    do {
      id = `AIDA${this.idRandom.base32(17)}`;
    } while (this.userIds.has(id));
    return id;
  }
}
