import { verdict } from './verdict';

describe(verdict.name, () => {
  it.each([
    [true, false, 'met'],
    [false, false, 'not met'],
    [true, true, 'not judged (quick mode)'],
    [false, true, 'not judged (quick mode)'],
  ])('met=%s quick=%s reads %s', (met, quick, expected) => {
    expect(verdict(met, quick)).toBe(expected);
  });
});
