/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// PGlite's CommonJS build loads node:fs and its WASM through import(), which Jest's module sandbox only serves
// behind --experimental-vm-modules; compiled to require() it runs in the sandbox as it does in Node.
const swcDynamicImport = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: false } },
];

const moduleNameMapper = {
  '^@app/(iam|iam-emulator|notifier|platform|observability|accounts|findings|store|scans|remediation)$': '<rootDir>/libs/$1/src',
  '^@app/(iam|iam-emulator|notifier|platform|observability|accounts|findings|store|scans|remediation)/(.*)$': '<rootDir>/libs/$1/src/$2',
};

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc, '/node_modules/@electric-sql/.+\\.c?js$': swcDynamicImport },
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  clearMocks: true,
  restoreMocks: true,
  setupFilesAfterEnv: ['<rootDir>/test/setup-jest.ts'],
};

module.exports = {
  // The store suite's PostgreSQL half: a throwaway server when TEST_DATABASE_URL is unset and Debian's is installed.
  globalSetup: '<rootDir>/test/store/postgres.global-setup.ts',
  globalTeardown: '<rootDir>/test/store/postgres.global-teardown.ts',
  transform: { '^.+\\.ts$': swc },
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testTimeout: 60_000,
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, '<rootDir>/test/setup-e2e.ts'],
    },
  ],
};
