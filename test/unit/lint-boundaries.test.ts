import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The module boundaries live in eslint.config.js; linting a one-line snippet under a path
// in each area proves every ban is still reported, so the rules cannot silently rot.
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: repositoryRoot });
});

async function restrictedImportsIn(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\n`, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('lint: module boundaries', () => {
  it.each([
    ['the authorizer imports the exchange Lambda', 'functions/authorizer/probe.ts', "import { ExchangeService } from '../exchange/exchange-service.js';"],
    ['the authorizer imports an exchange type', 'functions/authorizer/probe.ts', "import type { ExchangeRequest } from '../exchange/exchange-model.js';"],
    ['the exchange Lambda imports the authorizer', 'functions/exchange/proxy/probe.ts', "import { Authorizer } from '../../authorizer/authorizer.js';"],
    ['the exchange Lambda re-exports the authorizer', 'functions/exchange/probe.ts', "export { Authorizer } from '../authorizer/authorizer.js';"],
    ['functions/shared imports a function', 'functions/shared/probe.ts', "import { Authorizer } from '../authorizer/authorizer.js';"],
    ['a function imports infra/', 'functions/exchange/cache/probe.ts', "import { cacheHitMetric } from '../../../infra/gatepass-metrics.js';"],
    ['a function imports aws-cdk-lib', 'functions/shared/probe.ts', "import { Duration } from 'aws-cdk-lib';"],
    ['a function imports an aws-cdk-lib module', 'functions/authorizer/probe.ts', "import { Table } from 'aws-cdk-lib/aws-dynamodb';"],
    ['a function imports constructs', 'functions/exchange/probe.ts', "import { Construct } from 'constructs';"],
    ['a function imports scripts/', 'functions/exchange/probe.ts', "import { startLocalStack } from '../../scripts/local/local-stack.js';"],
    ['a function imports fakes/', 'functions/authorizer/probe.ts', "import { JwksServer } from '../../fakes/jwks-server.js';"],
    ['a function imports test/', 'functions/shared/config/probe.ts', "import { mintJwt } from '../../../test/support/token-minter.js';"],
    ['infra/ imports the exchange Lambda', 'infra/probe.ts', "import { CacheLayer } from '../functions/exchange/exchange-model.js';"],
    ['infra/ imports the authorizer', 'infra/constructs/probe.ts', "import type { Decision } from '../../functions/authorizer/authorizer.js';"],
    ['infra/ imports test/', 'infra/probe.ts', "import { gatepassSynth } from '../test/infra/support/gatepass-synth.js';"],
    ['examples/ import a function', 'examples/existing-http-api/probe.ts', "import { handler } from '../../functions/exchange/handler.js';"],
    ['examples/ import test/', 'examples/probe.ts', "import { gatepassSynth } from '../test/infra/support/gatepass-synth.js';"],
    ['scripts/ imports test/', 'scripts/local/probe.ts', "import { mintJwt } from '../../test/support/token-minter.js';"],
    ['fakes/ imports test/', 'fakes/probe.ts', "import { mintJwt } from '../test/support/token-minter.js';"],
  ])('reports %s', async (_what, filePath, code) => {
    expect(await restrictedImportsIn(filePath, code)).toHaveLength(1);
  });

  it.each([
    ['the exchange Lambda imports a shared contract', 'functions/exchange/proxy/probe.ts', "import { parseAuthorizerContext } from '../../shared/contracts/authorizer-context.js';"],
    ['the authorizer imports its own module and shared errors', 'functions/authorizer/probe.ts', "import { Authorizer } from './authorizer.js';\nimport { ErrorCode } from '../shared/errors.js';"],
    ['infra/ imports functions/shared', 'infra/constructs/probe.ts', "import { MetricName } from '../../functions/shared/contracts/metric-names.js';"],
    ['examples/ import infra/ and functions/shared', 'examples/existing-rest-api/probe.ts', "import { GatepassRestRoutes } from '../../infra/index.js';\nimport { MetricName } from '../../functions/shared/contracts/metric-names.js';"],
    ['scripts/ imports infra/, fakes/ and a function', 'scripts/local/probe.ts', "import { esbuildOptionsFor } from '../../infra/bundling-options.js';\nimport { JwksServer } from '../../fakes/jwks-server.js';\nimport { handler } from '../../functions/exchange/handler.js';"],
    ['a test imports test support and any module', 'test/unit/probe.test.ts', "import { mintJwt } from '../support/token-minter.js';\nimport { Authorizer } from '../../functions/authorizer/authorizer.js';\nimport { GatepassApp } from '../../infra/gatepass-app.js';"],
  ])('permits %s', async (_what, filePath, code) => {
    expect(await restrictedImportsIn(filePath, code)).toEqual([]);
  });
});
