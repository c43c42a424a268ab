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
}

function wholeSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function personName(random: SeededRandom, taken: Set<string>, index: number): string {
  const template = PERSON_NAME_TEMPLATES[index % PERSON_NAME_TEMPLATES.length];
  const name = template(random.pick(FIRST_NAMES), random.pick(LAST_NAMES));
  return taken.has(name.toLowerCase()) ? `${name}.${index}` : name;
}

function lastUsed(random: SeededRandom, createdMs: number, nowMs: number): AccessKeyLastUsed | undefined {
  if (random.chance(0.25)) {
    return undefined;
  }
  return {
    date: wholeSecond(createdMs + random.float() * (nowMs - createdMs)),
    serviceName: random.pick(SERVICES),
    region: random.pick(REGIONS),
  };
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
  return account;
}
