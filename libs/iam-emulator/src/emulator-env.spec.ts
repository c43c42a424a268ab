import { setEnv } from './emulator-env';

describe(setEnv.name, () => {
  it('sets the variables and puts back the previous values, deleting those that were unset', () => {
    process.env.EMULATOR_ENV_SPEC_SET = 'before';
    delete process.env.EMULATOR_ENV_SPEC_UNSET;

    const restore = setEnv({ EMULATOR_ENV_SPEC_SET: 'during', EMULATOR_ENV_SPEC_UNSET: 'during' });
    expect([process.env.EMULATOR_ENV_SPEC_SET, process.env.EMULATOR_ENV_SPEC_UNSET]).toEqual(['during', 'during']);

    restore();
    expect(process.env.EMULATOR_ENV_SPEC_SET).toBe('before');
    expect('EMULATOR_ENV_SPEC_UNSET' in process.env).toBe(false);
    delete process.env.EMULATOR_ENV_SPEC_SET;
  });
});
