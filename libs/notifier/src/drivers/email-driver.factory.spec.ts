import { selectEmailDriver, type EmailDrivers } from './email-driver.factory';

describe(selectEmailDriver.name, () => {
  let drivers: EmailDrivers;
  let sut: typeof selectEmailDriver;

  beforeEach(() => {
    drivers = {
      ses: { kind: 'ses', deliver: jest.fn() },
      dryRun: { kind: 'dry-run', deliver: jest.fn() },
    };
    sut = selectEmailDriver;
  });

  it('selects SES by default', () => {
    expect(sut({ driver: 'ses' }, drivers)).toBe(drivers.ses);
  });

  it('selects the dry-run driver when a dry-run folder is configured', () => {
    expect(sut({ driver: 'dry-run' }, drivers)).toBe(drivers.dryRun);
  });

  it('refuses an unknown driver', () => {
    expect(() => sut({ driver: 'smtp' as never }, drivers)).toThrow('Unknown email driver smtp');
  });
});
