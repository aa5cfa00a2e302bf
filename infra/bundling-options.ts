import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import type { GatepassConfig } from '../functions/shared/config/config-schema.js';
import { BUNDLE_INTROSPECTION_ENV, BUNDLE_MCP_ENV } from '../functions/shared/contracts/environment-variables.js';
import { isMcpRoute } from '../functions/shared/mcp/protected-resource.js';

/**
 * How gatepass bundles its Lambda functions: one list of esbuild settings that the CDK
 * stack (through `NodejsFunction`) and the benchmarks (through esbuild's API) both use,
 * so a bundle measured is a bundle deployed.
 *
 * - ESM output (`index.mjs`): the Lambda Node.js runtime imports it as a module.
 * - `mainFields: module, main` picks each dependency's ESM build (the AWS SDK, Smithy,
 *   Powertools ship one), which esbuild tree-shakes and which needs no `require` shim.
 *   With the CommonJS builds the bundle would need a `createRequire` banner; a test fails
 *   if any bundled dependency ever needs it.
 * - Nothing external: the AWS SDK is bundled, which imports faster than the runtime's copy
 *   and pins its version (issue #6 measures both).
 * - Source maps without the sources: enough for `--enable-source-maps` stack traces at a
 *   fraction of the size.
 * - The SDK's default credential chain replaced by its first link, the environment
 *   (SDK_CREDENTIAL_ALIASES): what Lambda provides; ≈ 135 KB less, measured in issue #14.
 */
export const GATEPASS_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: [],
} as const satisfies BuildOptions;

/**
 * Module replacements in every bundle: the SDK clients' default credential chain
 * (`@aws-sdk/credential-provider-node`, with its SSO/INI/process/web-identity/IMDS links and
 * nested STS and SSO clients) becomes the environment credentials Lambda always sets
 * (functions/shared/aws/environment-credentials.ts). Tests and tools running the sources
 * keep the SDK's full chain.
 */
export const SDK_CREDENTIAL_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': fileURLToPath(new URL('../functions/shared/aws/environment-credentials.ts', import.meta.url)),
};

/** The file name `NodejsFunction` gives an ESM bundle; the handler is `index.handler`. */
export const BUNDLE_FILE_NAME = 'index.mjs';

/** The configuration file inside each bundle, named by `GATEPASS_CONFIG_FILE`. */
export const BUNDLED_CONFIG_FILE_NAME = 'gatepass.config.json';

/** What a deployment's configuration needs in the bundles. */
export interface GatepassBundleFeatures {
  /** Some issuer introspects opaque tokens (the authorizer then carries the Secrets Manager client). */
  readonly introspection: boolean;
  /** Some route is an MCP server's (the exchange function then validates tokens itself, with TokenValidation). */
  readonly mcp: boolean;
}

/** The features a configuration needs. */
export function bundleFeaturesOf(config: Pick<GatepassConfig, 'issuers' | 'routes'>): GatepassBundleFeatures {
  return {
    introspection: Object.values(config.issuers).some((issuer) => issuer.introspection !== undefined),
    mcp: config.routes.some(isMcpRoute),
  };
}

/**
 * Build-time constants: without introspection, `process.env.GATEPASS_BUNDLE_INTROSPECTION`
 * becomes "false" and esbuild drops the authorizer's introspection branch with Powertools
 * Parameters and the SDK (≈ 400 KB → ≈ 90 KB); without MCP routes, `process.env.GATEPASS_BUNDLE_MCP`
 * becomes "false" and esbuild drops the exchange function's TokenValidation (docs/performance.md
 * "Cold start: what was kept and what was not"). No features given: everything is kept.
 */
function bundleDefines(features?: GatepassBundleFeatures): Record<string, string> {
  if (!features) return {};
  return {
    ...(features.introspection ? {} : { [`process.env.${BUNDLE_INTROSPECTION_ENV}`]: '"false"' }),
    ...(features.mcp ? {} : { [`process.env.${BUNDLE_MCP_ENV}`]: '"false"' }),
  };
}

/** esbuild `build()` options that produce the bundle the stack deploys, into `outdir`. */
export function esbuildOptionsFor(entry: string, outdir: string, features?: GatepassBundleFeatures): BuildOptions {
  return {
    ...GATEPASS_ESBUILD_OPTIONS,
    mainFields: [...GATEPASS_ESBUILD_OPTIONS.mainFields],
    external: [...GATEPASS_ESBUILD_OPTIONS.external],
    alias: { ...SDK_CREDENTIAL_ALIASES },
    define: bundleDefines(features),
    entryPoints: [entry],
    outfile: join(outdir, BUNDLE_FILE_NAME),
  };
}

/**
 * `NodejsFunction` bundling with the same settings, run by the local esbuild (never
 * Docker), plus a hook that copies the validated configuration file into the bundle.
 */
export function nodejsBundlingOptions(configFile: string, features?: GatepassBundleFeatures): BundlingOptions {
  const o = GATEPASS_ESBUILD_OPTIONS;
  return {
    define: bundleDefines(features),
    format: o.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
    target: o.target,
    minify: o.minify,
    sourceMap: o.sourcemap,
    sourcesContent: o.sourcesContent,
    mainFields: [...o.mainFields],
    externalModules: [...o.external],
    esbuildArgs: Object.fromEntries(Object.entries(SDK_CREDENTIAL_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
    bundleAwsSDK: true,
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [
        `cp ${shellQuote(configFile)} ${shellQuote(join(outputDir, BUNDLED_CONFIG_FILE_NAME))}`,
      ],
    },
  };
}

/** POSIX single-quoting: the hook runs through `bash -c`, paths may contain spaces. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
