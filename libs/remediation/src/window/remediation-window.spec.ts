import { insideWindow, parseRemediationWindow } from './remediation-window';

describe(parseRemediationWindow.name, () => {
  it('reads a range of weekdays and UTC hours, the end hour excluded', () => {
    const sut = parseRemediationWindow('Mon-Thu 09-16');

    expect([...sut.days].sort()).toEqual([1, 2, 3, 4]);
    expect(insideWindow(sut, new Date('2026-12-03T09:00:00Z'))).toBe(true); // Thursday
    expect(insideWindow(sut, new Date('2026-12-03T15:59:59Z'))).toBe(true);
    expect(insideWindow(sut, new Date('2026-12-03T16:00:00Z'))).toBe(false);
    expect(insideWindow(sut, new Date('2026-12-03T08:59:59Z'))).toBe(false);
    expect(insideWindow(sut, new Date('2026-12-04T10:00:00Z'))).toBe(false); // Friday
  });

  it('reads lists of days and ranges, in any case, and a whole day 00-24', () => {
    const sut = parseRemediationWindow(' tue,THU,Sat 00-24 ');

    expect([...sut.days].sort()).toEqual([2, 4, 6]);
    expect(insideWindow(sut, new Date('2026-12-05T23:59:59Z'))).toBe(true); // Saturday
  });

  it.each([
    ['', 'expected'],
    ['Mon-Thu', 'expected'],
    ['Mon-Thu 9-16', 'expected'],
    ['Mon-Thu 16-09', 'start before the end'],
    ['Mon-Thu 09-25', 'start before the end'],
    ['Thu-Mon 09-16', 'runs backwards'],
    ['Mon-Tue-Wed 09-16', 'neither a weekday'],
    ['Funday 09-16', 'unknown weekday'],
  ])('refuses %j (%s)', (text, message) => {
    expect(() => parseRemediationWindow(text)).toThrow(message);
  });
});
