import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { ToBool, ToInt, ToList } from './env-transforms';
import { EnvValidationError, validateAll, validateEnv } from './validate-env';

class SampleEnv {
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10)
  LIMIT: number = 5;

  @IsString()
  NAME: string;

  @IsOptional()
  @ToList()
  @IsString({ each: true })
  TOKENS?: string[];

  @IsOptional()
  @ToBool()
  FLAG?: boolean;
}

class SecretEnv {
  @IsOptional()
  @ToList()
  @MinLength(16, { each: true })
  API_TOKENS?: string[];
}

describe(validateEnv.name, () => {
  it('applies defaults and converts strings', () => {
    const env = validateEnv(SampleEnv, { NAME: 'x', TOKENS: ' a, b ,,c', FLAG: 'TRUE' });
    expect(env).toMatchObject({ LIMIT: 5, NAME: 'x', TOKENS: ['a', 'b', 'c'], FLAG: true });
  });

  it('treats an empty variable as unset, so the default applies', () => {
    expect(validateEnv(SampleEnv, { NAME: 'x', LIMIT: '' }).LIMIT).toBe(5);
  });

  it.each([
    ['abc', 'LIMIT ("abc"): LIMIT must be an integer number'],
    ['1.5', 'LIMIT ("1.5"): LIMIT must be an integer number'],
    ['11', 'LIMIT (11): LIMIT must not be greater than 10'],
    ['0', 'LIMIT (0): LIMIT must not be less than 1'],
  ])('names the variable and the problem for LIMIT=%s', (raw, problem) => {
    expect(() => validateEnv(SampleEnv, { NAME: 'x', LIMIT: raw })).toThrow(problem);
  });

  it('reports every bad variable at once, including missing required ones', () => {
    try {
      validateEnv(SampleEnv, { LIMIT: 'abc' });
      throw new Error('expected a validation error');
    } catch (err) {
      expect(err).toBeInstanceOf(EnvValidationError);
      expect((err as EnvValidationError).problems).toEqual([
        'LIMIT ("abc"): LIMIT must be an integer number',
        'NAME (unset): NAME is required',
      ]);
    }
  });

  it('names a secret variable without echoing its value', () => {
    const parse = () => validateEnv(SecretEnv, { API_TOKENS: 'short-secret' });
    expect(parse).toThrow(
      'API_TOKENS (value hidden): each value in API_TOKENS must be longer than or equal to 16 characters',
    );
    expect(parse).not.toThrow(/short-secret/);
  });
});

describe(validateAll.name, () => {
  it('reports the problems of every namespace together', () => {
    const bad = (problem: string) => () => {
      throw new EnvValidationError([problem]);
    };
    expect(() => validateAll([bad('A (1): wrong'), () => ({}), bad('B (2): wrong')])).toThrow(
      'Invalid configuration:\n  - A (1): wrong\n  - B (2): wrong',
    );
  });

  it('lets other errors through untouched', () => {
    const boom = new Error('boom');
    expect(() =>
      validateAll([
        () => {
          throw boom;
        },
      ]),
    ).toThrow(boom);
  });
});
