/** Jest runs the TypeScript sources as ESM through swc; tsc type-checks separately. */
const swc = JSON.parse(
  (await import('node:fs')).readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'),
);

export default {
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] },
  testEnvironment: 'node',
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
