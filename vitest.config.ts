import { defineConfig } from 'vitest/config';

// GATEPASS_TEST_REPORT (set by .ci/run) adds a JSON report that CI counts.
const report = process.env['GATEPASS_TEST_REPORT'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_DEV: 'false',
      // npm start's containers run on the Node that runs the tests (scripts/lambda-node.ts): no 50 MB download in a test.
      GATEPASS_LAMBDA_NODE: 'current',
    },
  },
});
