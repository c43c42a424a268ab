import { EnvValidationError, validateEnv } from '@app/platform';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { apiConfig } from '../../apps/api/src/config/api.config';
import { CONFIG_NAME, findObject, loadManifests, loadSecretTemplate } from './deploy-files';
import {
  AWS_SDK_SECRET_VARIABLES,
  discoverEnvClassIds,
  EXPECTED_ENV_CLASSES,
  loadEnvSchema,
  type EnvSchema,
} from './env-schema';

const schemas: EnvSchema[] = discoverEnvClassIds().map(loadEnvSchema);
const configMap = findObject<IConfigMap>(loadManifests(), 'ConfigMap', CONFIG_NAME).data ?? {};
const apiSecret = loadSecretTemplate('api');
const notifierSecret = loadSecretTemplate('notifier');
const secret = {
  entries: new Map([...apiSecret.entries, ...notifierSecret.entries]),
  commented: new Set([...apiSecret.commented, ...notifierSecret.commented]),
};
const known = new Set(schemas.flatMap((s) => [...s.known]));
const provided = new Set([...Object.keys(configMap), ...secret.entries.keys()]);

describe(`deploy config against the env classes: ${schemas.map((s) => s.id.split('#')[1]).join(', ')}`, () => {
  it('checks every env class the code validates at boot, and at least the expected ones that exist', () => {
    const ids = schemas.map((s) => s.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(ids).toEqual(expect.arrayContaining(EXPECTED_ENV_CLASSES.filter((id) => ids.includes(id))));
    for (const schema of schemas) {
      expect(schema.known.size).toBeGreaterThan(0);
    }
  });

  it('sets in the ConfigMap only variables some env class knows', () => {
    expect(Object.keys(configMap).filter((key) => !known.has(key))).toEqual([]);
  });

  it('sets in the Secret template only variables some env class or the AWS SDK credential chain knows', () => {
    const keys = [...secret.entries.keys(), ...secret.commented];
    expect(keys.filter((key) => !known.has(key) && !AWS_SDK_SECRET_VARIABLES.includes(key))).toEqual([]);
  });

  it.each(schemas.map((s) => [s.id, s] as const))('provides every required variable of %s', (_, schema) => {
    expect([...schema.required].filter((key) => !provided.has(key))).toEqual([]);
  });

  it.each(schemas.map((s) => [s.id, s] as const))('%s accepts the ConfigMap values', (_, schema) => {
    let problems: string[] = [];
    try {
      validateEnv(schema.envClass, configMap);
    } catch (err) {
      if (!(err instanceof EnvValidationError)) {
        throw err;
      }
      // Variables the Secret provides are validated when the real Secret exists, not here.
      problems = err.problems.filter((p) => ![...secret.entries.keys()].some((key) => p.startsWith(`${key} (`)));
    }
    expect(problems).toEqual([]);
  });

  it('keeps secrets out of the ConfigMap and settings out of the Secret', () => {
    expect(Object.keys(configMap).filter((key) => /TOKEN|SECRET|PASSWORD|ACCESS_KEY/.test(key))).toEqual([]);
    expect([...secret.entries.keys()].filter((key) => key in configMap)).toEqual([]);
  });

  it.each([
    ['api', apiSecret],
    ['notifier', notifierSecret],
  ])('holds only placeholders in the %s Secret template, AWS static keys commented out', (_, template) => {
    for (const [key, value] of template.entries) {
      expect(`${key}=${value}`).toMatch(/change-me/);
    }
    for (const key of AWS_SDK_SECRET_VARIABLES) {
      expect(template.entries.has(key)).toBe(false);
    }
    expect(template.commented).toEqual(new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']));
  });

  it("gives API_TOKENS to the API's Secret only: the notifier's Secret holds AWS keys, nothing else", () => {
    expect([...apiSecret.entries.keys()]).toEqual(['API_TOKENS']);
    expect([...notifierSecret.entries.keys()]).toEqual([]);
  });

  describe('fails closed', () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
    });

    it('never sets ALLOW_UNAUTHENTICATED in the ConfigMap', () => {
      expect(configMap).not.toHaveProperty('ALLOW_UNAUTHENTICATED');
    });

    it("stops the API at boot, naming API_TOKENS, when the API's Secret is missing", () => {
      process.env = { PATH: saved.PATH, ...configMap };
      expect(() => apiConfig()).toThrow(/^Invalid configuration:\n {2}- API_TOKENS \(unset\): required;/);
      process.env.API_TOKENS = 'deploy-check-token-0123456789abcdef';
      expect(apiConfig().apiTokens).toEqual(['deploy-check-token-0123456789abcdef']);
    });
  });

  it('leaves the emulator endpoint overrides unset in production', () => {
    expect(Object.keys(configMap).filter((key) => key.startsWith('AWS_ENDPOINT_URL'))).toEqual([]);
  });
});
