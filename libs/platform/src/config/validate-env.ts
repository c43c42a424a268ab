import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { redactUserinfo } from '../logging/redact-url';

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvValidationError';
  }
}

/** Variables whose value must never reach a log, even when it is wrong. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|CREDENTIAL|PRIVATE|(^|_)KEY($|_)/i;

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    // Every optional variable has a default, so an unset one that fails is required: its type checks would only confuse.
    if (e.value === undefined) {
      return `${e.property} (unset): ${e.property} is required`;
    }
    const constraints = Object.entries(e.constraints ?? {});
    // A value of the wrong type fails the range checks too; only the type problem is worth reading.
    const typeProblems = constraints.filter(([name]) => name.startsWith('is'));
    const reasons = (typeProblems.length > 0 ? typeProblems : constraints).map(([, message]) => message).join('; ');
    const shown = SECRET_NAME.test(e.property) ? 'value hidden' : redactUserinfo(JSON.stringify(e.value));
    return `${e.property} (${shown}): ${reasons}`;
  });
}

/**
 * Turns raw environment strings into a typed, validated object, applying the class's defaults.
 * Throws one error naming every bad variable so an operator fixes them all in one go.
 */
export function validateEnv<T extends object>(
  schema: new () => T,
  env: NodeJS.ProcessEnv | Record<string, unknown>,
): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const instance = plainToInstance(schema, present, { enableImplicitConversion: false, exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new EnvValidationError(describe(errors));
  }
  return instance;
}

/** Runs every config factory and reports the bad variables of all of them together. */
export function validateAll(factories: ReadonlyArray<() => unknown>): void {
  const problems = factories.flatMap((factory) => {
    try {
      factory();
      return [];
    } catch (err) {
      if (err instanceof EnvValidationError) {
        return err.problems;
      }
      throw err;
    }
  });
  if (problems.length > 0) {
    throw new EnvValidationError(problems);
  }
}
