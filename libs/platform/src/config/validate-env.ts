import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvValidationError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const constraints = Object.entries(e.constraints ?? {});
    // A value of the wrong type fails the range checks too; only the type problem is worth reading.
    const typeProblems = constraints.filter(([name]) => name.startsWith('is'));
    const reasons = (typeProblems.length > 0 ? typeProblems : constraints).map(([, message]) => message).join('; ');
    const shown = e.value === undefined ? 'unset' : JSON.stringify(e.value);
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
