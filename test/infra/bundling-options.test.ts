import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
import { build } from 'esbuild';
import {
  BUNDLED_CONFIG_FILE_NAME,
  GATEPASS_ESBUILD_OPTIONS,
  SDK_CREDENTIAL_ALIASES,
  bundleFeaturesOf,
  esbuildOptionsFor,
  nodejsBundlingOptions,
  shellQuote,
} from '../../infra/bundling-options.js';

const scratch = mkdtempSync(join(tmpdir(), 'gatepass-bundling-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('bundling options', () => {
  it('bundles minified ESM for Node 22 with source maps and nothing external', () => {
    expect(GATEPASS_ESBUILD_OPTIONS).toEqual({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      external: [],
    });
  });

  it('gives NodejsFunction the same settings, with the SDK bundled and never Docker', () => {
    const cdk = nodejsBundlingOptions('/configs/gatepass.json');
    expect(cdk).toMatchObject({
      format: OutputFormat.ESM,
      target: GATEPASS_ESBUILD_OPTIONS.target,
      minify: GATEPASS_ESBUILD_OPTIONS.minify,
      sourceMap: GATEPASS_ESBUILD_OPTIONS.sourcemap,
      sourcesContent: GATEPASS_ESBUILD_OPTIONS.sourcesContent,
      mainFields: [...GATEPASS_ESBUILD_OPTIONS.mainFields],
      externalModules: [],
      bundleAwsSDK: true,
      forceDockerBundling: false,
      esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': SDK_CREDENTIAL_ALIASES['@aws-sdk/credential-provider-node'] },
    });
    expect(cdk.banner).toBeUndefined();
  });

  it('writes the esbuild API bundle where NodejsFunction writes it: index.mjs in the output directory', () => {
    expect(esbuildOptionsFor('/src/handler.ts', '/out')).toMatchObject({ entryPoints: ['/src/handler.ts'], outfile: '/out/index.mjs', alias: SDK_CREDENTIAL_ALIASES });
  });

  it('replaces the SDK default credential chain with the environment credentials Lambda sets, which exist', () => {
    expect(Object.keys(SDK_CREDENTIAL_ALIASES)).toEqual(['@aws-sdk/credential-provider-node']);
    expect(existsSync(SDK_CREDENTIAL_ALIASES['@aws-sdk/credential-provider-node']!)).toBe(true);
  });

  it('copies the configuration file into the bundle after bundling, whatever characters its path holds', () => {
    const source = join(scratch, "my configs/it's gatepass.json");
    mkdirSync(join(scratch, 'my configs'), { recursive: true });
    writeFileSync(source, '{"version":1}');
    const output = join(scratch, 'out dir');
    mkdirSync(output);
    const commands = nodejsBundlingOptions(source).commandHooks!.afterBundling('/in', output);
    for (const command of commands) execFileSync('bash', ['-c', command]);
    expect(readFileSync(join(output, BUNDLED_CONFIG_FILE_NAME), 'utf8')).toBe('{"version":1}');
  });

  it('quotes for the shell so that nothing in a path is interpreted', () => {
    expect(shellQuote("a b'$(x)")).toBe(`'a b'\\''$(x)'`);
  });
});

describe('bundle features', () => {
  const authorizerEntry = join(repositoryRoot, 'functions/authorizer/handler.ts');

  it('derives the introspection feature from the configuration', () => {
    expect(bundleFeaturesOf({ issuers: { a: { introspection: {} } }, routes: [] } as never)).toMatchObject({ introspection: true });
    expect(bundleFeaturesOf({ issuers: { a: { jwksUri: 'https://x' } }, routes: [] } as never)).toMatchObject({ introspection: false });
    expect(nodejsBundlingOptions('/c.json', { introspection: false, mcp: true }).define).toEqual({ 'process.env.GATEPASS_BUNDLE_INTROSPECTION': '"false"' });
    expect(nodejsBundlingOptions('/c.json', { introspection: true, mcp: true }).define).toEqual({});
  });

  it('defines GATEPASS_BUNDLE_MCP "false" exactly when no route has mcp, for the CDK and the esbuild API alike', () => {
    const plainRoute = { id: 'orders', method: 'GET', path: '/orders/{id}' };
    const mcpRoute = { id: 'mcp', method: 'ANY', path: '/mcp', mcp: { resource: 'https://api.example.com/mcp' } };
    const issuers = { a: { jwksUri: 'https://x' } };
    expect(bundleFeaturesOf({ issuers, routes: [plainRoute] } as never)).toEqual({ introspection: false, mcp: false });
    expect(bundleFeaturesOf({ issuers, routes: [plainRoute, mcpRoute] } as never)).toEqual({ introspection: false, mcp: true });
    expect(bundleFeaturesOf({ issuers, routes: [] } as never)).toEqual({ introspection: false, mcp: false });
    for (const introspection of [true, false]) {
      const without = { introspection, mcp: false };
      expect(nodejsBundlingOptions('/c.json', without).define?.['process.env.GATEPASS_BUNDLE_MCP']).toBe('"false"');
      expect(esbuildOptionsFor('/e.ts', '/out', without).define?.['process.env.GATEPASS_BUNDLE_MCP']).toBe('"false"');
      expect(nodejsBundlingOptions('/c.json', { introspection, mcp: true }).define).not.toHaveProperty(['process.env.GATEPASS_BUNDLE_MCP']);
      expect(esbuildOptionsFor('/e.ts', '/out', { introspection, mcp: true }).define).not.toHaveProperty(['process.env.GATEPASS_BUNDLE_MCP']);
    }
    // No features given (tools that bundle without a configuration): everything is kept.
    expect(nodejsBundlingOptions('/c.json').define).toEqual({});
    expect(esbuildOptionsFor('/e.ts', '/out').define).toEqual({});
  });

  it('leaves the exchange function\'s own token validation (TokenValidation, introspection) out of a bundle without MCP routes, and keeps the issued-token verifier', async () => {
    const exchangeEntry = join(repositoryRoot, 'functions/exchange/handler.ts');
    const sizes: Record<string, number> = {};
    for (const mcp of [true, false]) {
      const outdir = join(scratch, `exchange-mcp-${mcp}`);
      const result = await build({ ...esbuildOptionsFor(exchangeEntry, outdir, { introspection: false, mcp }), metafile: true, logLevel: 'silent' });
      const code = readFileSync(join(outdir, 'index.mjs'), 'utf8');
      sizes[String(mcp)] = code.length;
      // The files with code in the output: esbuild's `inputs` also lists files it read, then tree-shook away.
      const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
      const inputs = Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path);
      expect(inputs.some((path) => path.endsWith('functions/shared/token-validation/token-validation.ts'))).toBe(mcp);
      expect(inputs.some((path) => path.endsWith('functions/shared/token-validation/introspection-client.ts'))).toBe(mcp);
      // Strings only the introspection client (which only TokenValidation uses) writes.
      expect(code.includes('token is not active (introspection)')).toBe(mcp);
      expect(code.includes('token_type_hint')).toBe(mcp);
      // #11's check of issued tokens stays in both: it shares the JWT validator and JWKS cache.
      expect(inputs.some((path) => path.endsWith('functions/exchange/policy/issued-token-verifier.ts'))).toBe(true);
      expect(inputs.some((path) => path.endsWith('aws-jwt-verify/dist/esm/jwt-verifier.js'))).toBe(true);
    }
    expect(sizes['false']!).toBeLessThan(sizes['true']!);
  }, 60_000);

  it('leaves Powertools Parameters and the Secrets Manager client out of a JWT-only authorizer', async () => {
    const sizes: Record<string, number> = {};
    for (const introspection of [true, false]) {
      const outdir = join(scratch, `authorizer-${introspection}`);
      await build({ ...esbuildOptionsFor(authorizerEntry, outdir, { introspection, mcp: false }), logLevel: 'silent' });
      const code = readFileSync(join(outdir, 'index.mjs'), 'utf8');
      sizes[String(introspection)] = code.length;
      expect(code.includes('GetSecretValue')).toBe(introspection);
    }
    expect(sizes['false']!).toBeLessThan(sizes['true']! / 2);
  });

  it('leaves the default credential chain and its nested STS/SSO clients out of the exchange bundle, which still signs with environment credentials', async () => {
    const outdir = join(scratch, 'exchange');
    const result = await build({ ...esbuildOptionsFor(join(repositoryRoot, 'functions/exchange/handler.ts'), outdir), metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => /credential-provider-(node|sso|ini|process|web-identity|http|login)|nested-clients|credential-provider-imds/.test(path))).toEqual([]);
    expect(inputs.some((path) => path.endsWith('functions/shared/aws/environment-credentials.ts'))).toBe(true);
  }, 60_000);
});
