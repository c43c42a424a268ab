import { ageHours, ageHoursChangeAt } from './old-keys';

describe(ageHoursChangeAt.name, () => {
  it('is the first millisecond at which ageHours differs, for ages and instants all over', () => {
    let seed = 3;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2_000; i++) {
      const created = new Date(1_500_000_000_000 + Math.floor(random() * 3e11));
      const now = new Date(created.getTime() + Math.floor(random() * 3e11));
      const at = ageHoursChangeAt(now, created);
      expect(at).toBeGreaterThan(now.getTime());
      expect(ageHours(new Date(at), created)).not.toBe(ageHours(now, created));
      expect(ageHours(new Date(at - 1), created)).toBe(ageHours(now, created));
    }
  });

  it('changes halfway to the next tenth of an hour', () => {
    const created = new Date(0);
    expect(ageHoursChangeAt(new Date(0), created)).toBe(180_000);
    expect(ageHoursChangeAt(new Date(180_000), created)).toBe(540_000);
  });
});
