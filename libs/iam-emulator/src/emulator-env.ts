/**
 * Credentials and region for SDK clients pointed at the emulator: the SDK signs with them, the emulator
 * only checks that a signature is there. Never real ones.
 */
export const EMULATOR_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLEEXAMPLE00',
  AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-local-emulator',
  AWS_REGION: 'us-east-1',
} as const;

/** Sets environment variables; the returned function puts back what was there before (deleting what was unset). */
export function setEnv(vars: Readonly<Record<string, string>>): () => void {
  const saved = Object.keys(vars).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, vars);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  };
}
