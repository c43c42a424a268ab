import { calendarDaysBetween, closuresOf, dueStage, stageRank, type LadderPolicy, type LadderView } from './ladder';

const DAY_MS = 86_400_000;
const policy: LadderPolicy = { warnAgeDays: 15, finalAgeDays: 18, expireAgeDays: 20, remindEveryDays: 7 };
const created = new Date('2026-01-01T00:00:00.000Z');
const day = (n: number, hours = 12) => new Date(created.getTime() + n * DAY_MS + hours * 3_600_000);

/** A clock the test moves: one run a day at `hours`, recording what it sends, as the job does once SES accepts. */
class LadderClock {
  readonly ladder: {
    startStage: LadderView['startStage'];
    openedAt: Date;
    sent: Array<{ stage: string; sentAt: Date }>;
  };
  constructor(openedAt: Date, startStage: LadderView['startStage'] = 'warning') {
    this.ladder = { startStage, openedAt, sent: [] };
  }
  run(now: Date, accepted = true): string | null {
    const stage = dueStage(created, this.ladder, now, policy);
    if (stage && accepted) {
      this.ladder.sent.push({ stage, sentAt: now });
    }
    return stage;
  }
}

describe(dueStage.name, () => {
  it('walks warning, final, expired, reminder-1 and reminder-2 on a daily run, each once', () => {
    const sut = new LadderClock(day(15));
    const sent: Array<[number, string]> = [];
    for (let n = 0; n <= 45; n++) {
      const stage = sut.run(day(n));
      if (stage) {
        sent.push([n, stage]);
      }
    }
    expect(sent).toEqual([
      [15, 'warning'],
      [18, 'final'],
      [20, 'expired'],
      [27, 'reminder-1'],
      [34, 'reminder-2'],
      [41, 'reminder-3'],
    ]);
  });

  it('is exact to the millisecond at the stage ages', () => {
    const sut = new LadderClock(day(0));
    expect(sut.run(new Date(created.getTime() + 15 * DAY_MS - 1))).toBeNull();
    expect(sut.run(new Date(created.getTime() + 15 * DAY_MS))).toBe('warning');
    expect(sut.run(new Date(created.getTime() + 18 * DAY_MS - 1))).toBeNull();
    expect(sut.run(new Date(created.getTime() + 18 * DAY_MS))).toBe('final');
  });

  it('sends nothing new on a second run the same day', () => {
    const sut = new LadderClock(day(20));
    expect(sut.run(day(20, 6))).toBe('expired');
    expect(sut.run(day(20, 18))).toBeNull();
    expect(sut.run(day(27, 1))).toBe('reminder-1');
    expect(sut.run(day(27, 23))).toBeNull();
  });

  it('gives a key first seen several stages in one email at its current stage, and reminds from that email', () => {
    const sut = new LadderClock(day(26));
    expect(sut.run(day(26))).toBe('expired');
    expect(sut.ladder.sent.map((s) => s.stage)).toEqual(['expired']);
    expect(sut.run(day(27))).toBeNull();
    expect(sut.run(day(32))).toBeNull();
    expect(sut.run(day(33))).toBe('reminder-1');
  });

  it('retries a stage SES did not accept on the next run, or sends the stage reached by then instead', () => {
    const sut = new LadderClock(day(15));
    expect(sut.run(day(15), false)).toBe('warning');
    expect(sut.run(day(16))).toBe('warning');
    expect(sut.run(day(18), false)).toBe('final');
    expect(sut.run(day(20))).toBe('expired');
    expect(sut.ladder.sent.map((s) => s.stage)).toEqual(['warning', 'expired']);
  });

  it('counts reminders in calendar days, so a run earlier in the day a week later still reminds', () => {
    const sut = new LadderClock(day(20));
    expect(sut.run(day(20, 23))).toBe('expired');
    expect(sut.run(day(27, 1))).toBe('reminder-1');
  });

  it('restarts a ladder at final: final at once, expired two days later, then the reminders', () => {
    const sut = new LadderClock(day(60), 'final');
    expect(sut.run(day(59))).toBeNull();
    expect(sut.run(day(60))).toBe('final');
    expect(sut.run(day(61))).toBeNull();
    expect(sut.run(day(62))).toBe('expired');
    expect(sut.run(day(69))).toBe('reminder-1');
  });

  it('sends nothing for a key below the warning age', () => {
    expect(new LadderClock(day(0)).run(day(14, 23))).toBeNull();
  });
});

describe(stageRank.name, () => {
  it('orders the stages', () => {
    expect(['warning', 'final', 'expired', 'reminder-1', 'reminder-12', 'other'].map(stageRank)).toEqual([
      0, 1, 2, 3, 14, -1,
    ]);
  });
});

describe(calendarDaysBetween.name, () => {
  it('counts UTC midnights crossed', () => {
    expect(calendarDaysBetween(new Date('2026-01-01T23:59:00Z'), new Date('2026-01-02T00:01:00Z'))).toBe(1);
    expect(calendarDaysBetween(new Date('2026-01-01T00:01:00Z'), new Date('2026-01-01T23:59:00Z'))).toBe(0);
  });
});

describe(closuresOf.name, () => {
  const A = '111111111111';
  const B = '222222222222';
  const ladder = (id: number, accountId: string, accessKeyId: string, userName: string | null = 'alice') => ({
    id,
    accountId,
    accessKeyId,
    userName,
    keyCreatedAt: userName ? created : null,
  });
  const key = (accountId: string, accessKeyId: string, status: 'Active' | 'Inactive' = 'Active', days = 0) => ({
    accountId,
    userName: 'alice',
    accessKeyId,
    status,
    createdDate: new Date(created.getTime() + days * DAY_MS),
  });

  it('closes absent keys as rotated (newest newer key named) or deleted, inactive ones as deactivated', () => {
    const open = [
      ladder(1, A, 'AKIAROTATED', 'alice'),
      ladder(2, A, 'AKIADELETED', 'bob'),
      ladder(3, A, 'AKIAINACTIVE'),
      ladder(4, A, 'AKIASTILL'),
      ladder(5, B, 'AKIAUNKNOWN'),
      ladder(6, A, 'AKIARESTARTED', null),
    ];
    const scanned = [
      key(A, 'AKIANEW1', 'Active', 30),
      key(A, 'AKIANEW2', 'Active', 31),
      key(A, 'AKIAINACTIVE', 'Inactive'),
      key(A, 'AKIASTILL'),
    ];

    const closures = closuresOf(open, scanned, new Set([A]), false);

    expect(closures.map((c) => [c.ladder.id, c.resolution, c.rotatedTo])).toEqual([
      [1, 'rotated', 'AKIANEW2'],
      [2, 'deleted', undefined],
      [3, 'deactivated', undefined],
      [6, 'deleted', undefined],
    ]);
  });

  it('keeps an inactive key open when inactive keys are reminded too, and never judges a failed account', () => {
    const closures = closuresOf(
      [ladder(1, A, 'AKIAINACTIVE'), ladder(2, B, 'AKIAGONE')],
      [key(A, 'AKIAINACTIVE', 'Inactive')],
      new Set([A]),
      true,
    );
    expect(closures).toEqual([]);
  });

  it('does not take an older key of the user for a rotation', () => {
    const [closure] = closuresOf([ladder(1, A, 'AKIAGONE')], [key(A, 'AKIAOLDER', 'Active', -5)], new Set([A]), false);
    expect(closure.resolution).toBe('deleted');
  });
});
