// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries: the two functions share only
 * functions/shared; the functions never reach into the stack, the local tooling, the fakes
 * or the tests; the stack takes from the functions only their shared contracts and schema;
 * only tests import tests. `no-restricted-imports` takes one configuration per file (a
 * later block replaces an earlier one), so each block below lists every ban for its files.
 * Patterns are matched against the import specifier (relative paths included).
 * test/unit/lint-boundaries.test.ts proves each ban is reported.
 */
const ban = (group, message) => ({ group, message });
const noCdk = ban(['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'], 'functions/ never imports aws-cdk-lib or constructs: they are the stack, not the runtime');
const noInfra = ban(['**/infra', '**/infra/**'], 'functions/ never imports infra/: the stack depends on the functions, not the other way round');
const noScripts = ban(['**/scripts/**'], 'functions/ never imports scripts/ (local tooling)');
const noFakes = ban(['**/fakes/**'], 'functions/ never imports fakes/ (local stand-ins)');
const noTest = ban(['**/test/**'], 'only test/ imports test/: move what you need into fakes/ or the module under test');
const noExchange = ban(['**/exchange/**', '**/exchange'], 'the authorizer never imports the exchange Lambda: share through functions/shared');
const noAuthorizer = ban(['**/authorizer/**', '**/authorizer'], 'the exchange Lambda never imports the authorizer: share through functions/shared');
const functionsBans = [noCdk, noInfra, noScripts, noFakes, noTest];
const restrict = (...patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', 'dist/', '.bundle/', '.local/', 'test/bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', structuredClone: 'readonly', fetch: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['functions/**'], rules: { 'no-restricted-imports': restrict(...functionsBans) } },
  {
    files: ['functions/shared/**'],
    rules: { 'no-restricted-imports': restrict(...functionsBans, ban(['**/authorizer/**', '**/exchange/**'], 'functions/shared is imported by both functions and imports neither')) },
  },
  { files: ['functions/authorizer/**'], rules: { 'no-restricted-imports': restrict(...functionsBans, noExchange) } },
  { files: ['functions/exchange/**'], rules: { 'no-restricted-imports': restrict(...functionsBans, noAuthorizer) } },
  {
    // examples/ are CDK apps of a team's own: they use gatepass through infra/, as infra/ does functions/shared.
    files: ['infra/**', 'examples/**'],
    rules: {
      'no-restricted-imports': restrict(
        // A regex: gitignore-style negation cannot re-include functions/shared below a banned functions/.
        { regex: '(^|/)functions/(?!shared/)', message: 'infra/ and examples/ import from functions/ only functions/shared (contracts, config schema, errors)' },
        noTest,
      ),
    },
  },
  { files: ['scripts/**', 'fakes/**'], rules: { 'no-restricted-imports': restrict(noTest) } },
);
