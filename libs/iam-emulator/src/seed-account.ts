import { IamAccount, type AccessKeyLastUsed, type NewAccessKey } from './iam-account.model';
import { SeededRandom } from './seeded-random';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const YEAR_MS = 365 * DAY_MS;

const FIRST_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory'];
const LAST_NAMES = ['smith', 'jones', 'garcia', 'chen', 'okafor', 'novak', 'silva', 'kim', 'muller', 'rossi'];
/** Between them these use every special character IAM allows in a user name: + = , . @ _ - */
const PERSON_NAME_TEMPLATES: ((first: string, last: string) => string)[] = [
  (f, l) => `${f}.${l}@corp`,
  (f) => `${f}+ops`,
  (f, l) => `${f}_${l}`,
  (f) => `${f}=admin`,
  (f, l) => `${l},${f}`,
  (f, l) => `${f}-${l}.ext`,
  (_f, l) => `ci.bot@${l}`,
];
const PATHS = ['/', '/', '/', '/service/', '/engineering/', '/contractors/'];
const SERVICES = ['s3', 'sts', 'ec2', 'iam', 'dynamodb', 'lambda', 'sqs'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const TEAMS = ['payments', 'platform', 'data', 'growth', 'security'];
const INVALID_EMAILS = ['not-an-email', 'alice@', '@example.com', 'bob smith@example.com', 'carol@@example.com'];

export interface SeedAccountOptions {
  seed: number;
  users: number;
  /** Default DEFAULT_ACCOUNT_ID. */
  accountId?: string;
  /** The instant the ages count back from; defaults to the current whole second. */
  now?: Date;
  /** Users created within the last day, whose keys are all young too. Default 0.1. */
  youngUserFraction?: number;
  /** Chance of each key being Inactive. Default 0.2. */
  inactiveFraction?: number;
  /** Users carrying an `email` tag; about one in ten of those holds an invalid address. Default 0.6. */
  emailTagFraction?: number;
  /** Keys of the root user (true means one); they show only in the credential report's root row. Default 0. */
  rootAccessKeys?: boolean | 0 | 1 | 2;
  /**
   * Adds LAST_USE_CASES after the seeded users: one user per last-use case the findings must get right, with
   * dates relative to `now` and every key younger than 90 days. Default false, so user counts stay as asked.
   */
  lastUseCases?: boolean;
}

interface LastUseCaseKey {
  status: 'Active' | 'Inactive';
  ageDays: number;
  /** Days since last use; null when never used. */
  usedDaysAgo: number | null;
  serviceName?: string;
  region?: string;
}

/** The cases, by user name; each key's findings under the default thresholds (45 days unused and grace). */
export const LAST_USE_CASES: Readonly<Record<string, readonly LastUseCaseKey[]>> = {
  // never_used
  'lastuse-never-past-grace': [{ status: 'Active', ageDays: 50, usedDaysAgo: null }],
  // nothing: a key made last week for a deploy
  'lastuse-never-in-grace': [{ status: 'Active', ageDays: 7, usedDaysAgo: null }],
  // never_used, exactly at the end of its grace
  'lastuse-never-at-grace': [{ status: 'Active', ageDays: 45, usedDaysAgo: null }],
  // unused, exactly 45 days after its last use
  'lastuse-unused-at-limit': [
    { status: 'Active', ageDays: 60, usedDaysAgo: 45, serviceName: 'iam', region: 'us-east-1' },
  ],
  // two_active on both, used today in both slots
  'lastuse-today-both': [
    { status: 'Active', ageDays: 80, usedDaysAgo: 0, serviceName: 's3', region: 'eu-west-1' },
    { status: 'Active', ageDays: 20, usedDaysAgo: 0, serviceName: 'sts', region: 'us-west-2' },
  ],
  // key 2 unused beside an Inactive key 1 (a slot-by-slot check answers "ok")
  'lastuse-inactive-then-unused': [
    { status: 'Inactive', ageDays: 85, usedDaysAgo: 84, serviceName: 'ec2', region: 'eu-central-1' },
    { status: 'Active', ageDays: 70, usedDaysAgo: 60, serviceName: 'dynamodb', region: 'ap-southeast-2' },
  ],
  // key 2 never used beside an Inactive key 1
  'lastuse-inactive-then-never': [
    { status: 'Inactive', ageDays: 85, usedDaysAgo: 80, serviceName: 'lambda', region: 'us-east-1' },
    { status: 'Active', ageDays: 50, usedDaysAgo: null },
  ],
  // key 1 unused, key 2 Inactive and used today
  'lastuse-unused-then-inactive': [
    { status: 'Active', ageDays: 88, usedDaysAgo: 50, serviceName: 'sqs', region: 'us-west-2' },
    { status: 'Inactive', ageDays: 10, usedDaysAgo: 0, serviceName: 's3', region: 'us-east-1' },
  ],
  // both used months ago: unused and two_active on both
  'lastuse-months-both': [
    { status: 'Active', ageDays: 89, usedDaysAgo: 75, serviceName: 'iam', region: 'us-east-1' },
    { status: 'Active', ageDays: 80, usedDaysAgo: 46, serviceName: 'ec2', region: 'eu-west-1' },
  ],
};

function addLastUseCases(account: IamAccount, nowMs: number): void {
  for (const [userName, keys] of Object.entries(LAST_USE_CASES)) {
    const oldest = Math.max(...keys.map((k) => k.ageDays));
    account.addUser({
      userName,
      path: '/service/',
      createDate: new Date(nowMs - (oldest + 1) * DAY_MS),
      accessKeys: keys.map((k) => ({
        status: k.status,
        createDate: new Date(nowMs - k.ageDays * DAY_MS),
        lastUsed:
          k.usedDaysAgo === null
            ? undefined
            : {
                date: new Date(nowMs - k.usedDaysAgo * DAY_MS),
                serviceName: k.serviceName ?? 'iam',
                region: k.region ?? 'us-east-1',
              },
      })),
    });
  }
}

function wholeSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function personName(random: SeededRandom, taken: Set<string>, index: number): string {
  const template = PERSON_NAME_TEMPLATES[index % PERSON_NAME_TEMPLATES.length];
  const name = template(random.pick(FIRST_NAMES), random.pick(LAST_NAMES));
  return taken.has(name.toLowerCase()) ? `${name}.${index}` : name;
}

const MONTHS_AGO_MS = 60 * DAY_MS;

/**
 * Last use as IAM records it, in the mix findings need: a quarter never used; of the rest about a third used
 * within the last day, and for keys older than 60 days two in five used months ago (60 to 400 days, as far as the
 * key's age allows); the others anywhere in the key's life. As many draws as a uniform last use would take, so the
 * statuses, dates and ids of every seeded account stay what they were.
 */
function lastUsed(random: SeededRandom, createdMs: number, nowMs: number): AccessKeyLastUsed | undefined {
  if (random.chance(0.25)) {
    return undefined;
  }
  const f = random.float();
  const lifeMs = nowMs - createdMs;
  const old = lifeMs > MONTHS_AGO_MS;
  let sinceMs: number;
  if (f < (old ? 0.3 : 0.35)) {
    sinceMs = (f / 0.35) * Math.min(DAY_MS, lifeMs);
  } else if (old && f < 0.7) {
    sinceMs = MONTHS_AGO_MS + ((f - 0.3) / 0.4) * (Math.min(400 * DAY_MS, lifeMs) - MONTHS_AGO_MS);
  } else {
    sinceMs = (1 - f) * lifeMs;
  }
  return {
    date: wholeSecond(Math.max(createdMs, nowMs - sinceMs)),
    serviceName: random.pick(SERVICES),
    region: random.pick(REGIONS),
  };
}

/**
 * A user who deactivated one key usually forgot the other: its last use moves back to months ago (never-used
 * keys stay so). This is the pair a slot-by-slot check answers "ok" for. No draw, so nothing else moves.
 */
function forgetBesideInactive(keys: NewAccessKey[], nowMs: number): void {
  const active = keys.filter((k) => k.status === 'Active');
  if (keys.length !== 2 || active.length !== 1) {
    return;
  }
  const [key] = active;
  const createdMs = key.createDate?.getTime() ?? nowMs;
  if (key.lastUsed && nowMs - createdMs > MONTHS_AGO_MS) {
    const latest = Math.min(key.lastUsed.date.getTime(), nowMs - MONTHS_AGO_MS);
    key.lastUsed = { ...key.lastUsed, date: wholeSecond(Math.max(createdMs, latest)) };
  }
}

/**
 * A deterministic account: the same options give the same users, ids, tags, statuses and dates.
 * Dates fall on whole seconds so that the credential report (which has no milliseconds) and the
 * list APIs agree on which keys are old.
 */
export function seedAccount(options: SeedAccountOptions): IamAccount {
  const nowMs = (options.now ?? wholeSecond(Date.now())).getTime();
  const youngUserFraction = options.youngUserFraction ?? 0.1;
  const inactiveFraction = options.inactiveFraction ?? 0.2;
  const emailTagFraction = options.emailTagFraction ?? 0.6;
  const rootKeyCount = options.rootAccessKeys === true ? 1 : options.rootAccessKeys || 0;
  const random = new SeededRandom(options.seed);

  const account = new IamAccount({
    accountId: options.accountId,
    idSeed: options.seed ^ 0x5eed,
    root: {
      createDate: wholeSecond(nowMs - random.logUniform(2 * YEAR_MS, 8 * YEAR_MS)),
      mfaActive: random.chance(0.7),
    },
  });
  for (let i = 0; i < rootKeyCount; i++) {
    const createdMs = wholeSecond(nowMs - random.logUniform(30 * DAY_MS, 3 * YEAR_MS)).getTime();
    account.addRootAccessKey({ createDate: new Date(createdMs), lastUsed: lastUsed(random, createdMs, nowMs) });
  }

  const taken = new Set<string>();
  for (let i = 1; i <= options.users; i++) {
    const isPerson = i % 5 === 2;
    const userName = isPerson ? personName(random, taken, Math.floor(i / 5)) : `svc-${String(i).padStart(4, '0')}`;
    taken.add(userName.toLowerCase());

    const young = random.chance(youngUserFraction);
    const ageMs = young ? random.logUniform(5 * MINUTE_MS, DAY_MS) : random.logUniform(DAY_MS, 6 * YEAR_MS);
    const userCreatedMs = wholeSecond(nowMs - ageMs).getTime();

    const tags: Record<string, string> = {};
    if (random.chance(emailTagFraction)) {
      tags.email = random.chance(0.1)
        ? random.pick(INVALID_EMAILS)
        : `${userName.replace(/[^a-z0-9.]/gi, '.').replace(/^\.+|\.+$/g, '')}@example.com`;
    }
    if (random.chance(0.4)) {
      tags.team = random.pick(TEAMS);
    }

    const roll = random.float();
    const keyCount = roll < 0.15 ? 0 : roll < 0.7 ? 1 : 2;
    const accessKeys: NewAccessKey[] = [];
    for (let k = 0; k < keyCount; k++) {
      const keyAgeMs = Math.min(ageMs, random.logUniform(MINUTE_MS, Math.max(MINUTE_MS, ageMs)));
      const createdMs = Math.max(userCreatedMs, wholeSecond(nowMs - keyAgeMs).getTime());
      accessKeys.push({
        createDate: new Date(createdMs),
        status: random.chance(inactiveFraction) ? 'Inactive' : 'Active',
        lastUsed: lastUsed(random, createdMs, nowMs),
      });
    }
    forgetBesideInactive(accessKeys, nowMs);

    const hasPassword = isPerson || random.chance(0.1);
    const passwordUsed = random.chance(0.7);
    account.addUser({
      userName,
      path: isPerson ? '/' : random.pick(PATHS),
      createDate: new Date(userCreatedMs),
      tags,
      accessKeys,
      password: hasPassword
        ? {
            lastChanged: new Date(userCreatedMs),
            lastUsed: passwordUsed ? wholeSecond(userCreatedMs + random.float() * (nowMs - userCreatedMs)) : undefined,
          }
        : undefined,
      mfaActive: hasPassword && random.chance(0.6),
    });
  }
  if (options.lastUseCases) {
    addLastUseCases(account, nowMs);
  }
  return account;
}
