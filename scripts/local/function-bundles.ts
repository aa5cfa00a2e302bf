import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLED_CONFIG_FILE_NAME, bundleFeaturesOf, esbuildOptionsFor } from '../../infra/bundling-options.js';
import { loadConfigFile } from '../../functions/shared/config/config-loader.js';
import type { LocalFunction } from './lambda-environment.js';

/**
 * The functions as the stack deploys them: each handler bundled by esbuild with the
 * stack's own options (infra/bundling-options.ts: ESM, minified, AWS SDK bundled, source
 * maps), the configuration file copied into each bundle as `gatepass.config.json` (what
 * the stack's afterBundling hook does), plus the local Lambda runtime compiled next to them.
 */
const HANDLER_ENTRIES: Readonly<Record<LocalFunction, string>> = {
  authorizer: fileURLToPath(new URL('../../functions/authorizer/handler.ts', import.meta.url)),
  exchange: fileURLToPath(new URL('../../functions/exchange/handler.ts', import.meta.url)),
};

const RUNTIME_ENTRY = fileURLToPath(new URL('./lambda-runtime.ts', import.meta.url));

export interface FunctionBundles {
  /** LAMBDA_TASK_ROOT of each function. */
  readonly taskRoots: Readonly<Record<LocalFunction, string>>;
  readonly runtimeFile: string;
  readonly buildMs: number;
}

/** Builds both bundles and the runtime under `outDir` (functions/<name>/, runtime/). */
export async function buildFunctionBundles(outDir: string, configFile: string): Promise<FunctionBundles> {
  const started = performance.now();
  const taskRoots = { authorizer: join(outDir, 'functions', 'authorizer'), exchange: join(outDir, 'functions', 'exchange') };
  const runtimeFile = join(outDir, 'runtime', 'lambda-runtime.mjs');
  const features = bundleFeaturesOf(loadConfigFile(configFile));
  await Promise.all([
    ...Object.entries(taskRoots).map(async ([fn, dir]) => {
      mkdirSync(dir, { recursive: true });
      await build({ ...esbuildOptionsFor(HANDLER_ENTRIES[fn as LocalFunction], dir, features), logLevel: 'error' });
      copyFileSync(configFile, join(dir, BUNDLED_CONFIG_FILE_NAME));
    }),
    buildLambdaRuntime(runtimeFile),
  ]);
  return { taskRoots, runtimeFile, buildMs: performance.now() - started };
}

/** Compiles the local Lambda runtime (lambda-runtime.ts) to one plain ESM file. */
export async function buildLambdaRuntime(outfile: string): Promise<string> {
  await build({ entryPoints: [RUNTIME_ENTRY], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
  return outfile;
}
