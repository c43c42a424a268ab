import { expiryProblem, parseExpiry } from './exemption-expiry';

describe(parseExpiry.name, () => {
  it.each([
    ['2026-07-01', '2026-07-01T00:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    ['2026-07-01T12:30:00Z', '2026-07-01T12:30:00.000Z'],
    ['2026-07-01T12:30Z', '2026-07-01T12:30:00.000Z'],
    ['2026-07-01T12:30:15.25Z', '2026-07-01T12:30:15.250Z'],
    ['2026-07-01T02:00:00+02:00', '2026-07-01T00:00:00.000Z'],
    ['2026-06-30T19:00:00-05:00', '2026-07-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseExpiry(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '2026-13-01',
    '2026-02-29',
    '2026-04-31',
    '2026-7-1',
    '01/07/2026',
    '2026-07-01T12:00:00',
    '2026-07-01 12:00:00Z',
    '2026-07-01T24:00:00Z',
    '2026-07-01T12:60:00Z',
    'next tuesday',
    '',
  ])('refuses %p', (text) => {
    expect(parseExpiry(text)).toBeUndefined();
  });
});

describe(expiryProblem.name, () => {
  const now = new Date('2026-01-01T00:00:00.000Z');

  it('allows exactly the maximum ahead, and the past (it just no longer applies)', () => {
    expect(expiryProblem(new Date('2026-06-30T00:00:00.000Z'), now, 180)).toBeUndefined();
    expect(expiryProblem(new Date('2020-01-01T00:00:00.000Z'), now, 180)).toBeUndefined();
  });

  it('refuses a millisecond beyond it, saying the latest allowed', () => {
    expect(expiryProblem(new Date('2026-06-30T00:00:00.001Z'), now, 180)).toBe(
      'is more than 180 days ahead (EXEMPTION_MAX_DAYS): the latest allowed now is 2026-06-30T00:00:00.000Z',
    );
  });
});
