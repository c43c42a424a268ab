import { EXEMPT_REASON_TAG, EXEMPT_UNTIL_TAG, exemptionFromTags, type TagExemptionInput } from './exemption-tags';

const NOW = new Date('2026-01-10T08:00:00.000Z');

describe(exemptionFromTags.name, () => {
  let sut: typeof exemptionFromTags;

  beforeEach(() => {
    sut = exemptionFromTags;
  });

  const input = (tags: TagExemptionInput['tags']): TagExemptionInput => ({
    accountId: '111111111111',
    userName: 'ci-bot',
    tags,
    now: NOW,
    maxDays: 180,
  });

  it('reads an exemption of every finding of the user, until the start of the date (UTC)', () => {
    expect(
      sut(
        input({ [EXEMPT_UNTIL_TAG]: '2026-03-01', [EXEMPT_REASON_TAG]: ' Terraform-managed deploy key ', team: 'x' }),
      ),
    ).toEqual({
      exemption: {
        source: 'tag',
        match: { accountId: '111111111111', userName: 'ci-bot' },
        findings: 'all',
        reason: 'Terraform-managed deploy key',
        expiresAt: new Date('2026-03-01T00:00:00.000Z'),
      },
    });
  });

  it('takes the tag list as ListUserTags answers it', () => {
    const result = sut(
      input([
        { Key: EXEMPT_REASON_TAG, Value: 'vendor' },
        { Key: EXEMPT_UNTIL_TAG, Value: '2026-02-01' },
      ]),
    );
    expect(result.exemption?.expiresAt).toEqual(new Date('2026-02-01T00:00:00.000Z'));
    expect(result.problem).toBeUndefined();
  });

  it('says nothing for a user without exemption tags', () => {
    expect(sut(input({ email: 'a@example.com' }))).toEqual({});
  });

  it.each([
    [
      { [EXEMPT_UNTIL_TAG]: '2026-03-01' },
      'user ci-bot in 111111111111: iam-key-monitor:exempt-until without iam-key-monitor:exempt-reason; no exemption',
    ],
    [
      { [EXEMPT_UNTIL_TAG]: '2026-03-01', [EXEMPT_REASON_TAG]: ' ' },
      'user ci-bot in 111111111111: iam-key-monitor:exempt-until without iam-key-monitor:exempt-reason; no exemption',
    ],
    [
      { [EXEMPT_REASON_TAG]: 'vendor' },
      'user ci-bot in 111111111111: iam-key-monitor:exempt-reason without iam-key-monitor:exempt-until; no exemption',
    ],
    [
      { [EXEMPT_UNTIL_TAG]: '01/03/2026', [EXEMPT_REASON_TAG]: 'vendor' },
      'user ci-bot in 111111111111: iam-key-monitor:exempt-until "01/03/2026" is not an ISO date (2026-07-01); no exemption',
    ],
    [
      { [EXEMPT_UNTIL_TAG]: '2026-03-01T00:00:00Z', [EXEMPT_REASON_TAG]: 'vendor' },
      'user ci-bot in 111111111111: iam-key-monitor:exempt-until "2026-03-01T00:00:00Z" is not an ISO date (2026-07-01); no exemption',
    ],
    [
      { [EXEMPT_UNTIL_TAG]: '2026-07-10', [EXEMPT_REASON_TAG]: 'vendor' },
      'user ci-bot in 111111111111: iam-key-monitor:exempt-until 2026-07-10 is more than 180 days ahead (EXEMPTION_MAX_DAYS): the latest allowed now is 2026-07-09T08:00:00.000Z; no exemption',
    ],
  ])('gives no exemption for %p, and a reason to log', (tags, problem) => {
    expect(sut(input(tags))).toEqual({ problem });
  });

  it('reads a past date as an exemption that no longer applies (the digest lists it as lapsed)', () => {
    expect(sut(input({ [EXEMPT_UNTIL_TAG]: '2025-12-01', [EXEMPT_REASON_TAG]: 'old' })).exemption?.expiresAt).toEqual(
      new Date('2025-12-01T00:00:00.000Z'),
    );
  });
});
