/**
 * Section 2: cold-start proxies. Each function is bundled exactly as the CDK stack bundles
 * it (infra/bundling-options.ts, the options NodejsFunction gets), then loaded in fresh Node
 * processes the way the Lambda runtime loads a handler (`import()` of index.mjs, with the
 * environment the stack sets, NODE_OPTIONS included) and invoked once.
 */
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { BUNDLE_FILE_NAME, BUNDLED_CONFIG_FILE_NAME, bundleFeaturesOf, esbuildOptionsFor, type GatepassBundleFeatures } from '../../infra/bundling-options.js';
import { parseConfigText } from '../../functions/shared/config/config-validator.js';
import { httpApiEvent } from '../support/authorizer-events.js';
import { API_AUDIENCE, CORP_SECRET_ID, lambdaEnv, PARTNER_ISSUER, REQUIRED_SCOPE, ROUTE } from './bench-fixtures.js';
import { exchangeEventFor, writeBundledConfig, type BenchServers } from './bench-servers.js';
import { median, quantile } from './bench-stats.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repository (git-ignored), so a bundle with external packages resolves them from node_modules. */
const outRoot = join(repoRoot, '.bundle', 'bench');
const probe = fileURLToPath(new URL('./cold-start-probe.mjs', import.meta.url));

/** What the stack sets for both functions (infra/constructs/gatepass-functions.ts): nothing since issue #14. */
const STACK_NODE_OPTIONS = '';
/** What the stack set before issue #14, measured beside it: the cost of parsing the source map at import. */
const SOURCE_MAPS_NODE_OPTIONS = '--enable-source-maps';

export interface BundleFigures {
  readonly name: string;
  readonly description: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** Minified bytes by package (largest first, top 8). */
  readonly largestInputs: readonly { readonly name: string; readonly bytes: number }[];
  readonly processes: number;
  /** Median wall ms of `import()` (module evaluation included: config, clients, Lambda init work). */
  readonly importMs: number;
  readonly importP90Ms: number;
  readonly importCpuMs: number;
  /** Median wall ms of the first invocation in the fresh process. */
  readonly firstInvokeMs: number | null;
  readonly firstInvoke: string;
  readonly outcomes: readonly string[];
  /** Median import ms with NODE_OPTIONS=--enable-source-maps: what the stack set before issue #14. */
  readonly importMsWithSourceMaps?: number;
  /** Median import ms on the older Node the bench was started with (the `engines` floor), with the stack's NODE_OPTIONS, when there was one. */
  readonly importMsOnFloorNode?: number;
  readonly note?: string;
}

interface BundleSpec {
  readonly name: string;
  readonly description: string;
  readonly entry: string;
  /** The build-time features the stack derives from a configuration (bundleFeaturesOf); none: everything kept. */
  readonly features?: GatepassBundleFeatures;
  /** Applied on top of the shared options (never replacing them). */
  readonly extra?: Partial<BuildOptions>;
  readonly env: () => Record<string, string>;
  readonly event: (round: number) => unknown;
  readonly firstInvoke: string;
  readonly note?: string;
  /** Also measured with --enable-source-maps (the figure that says what it costs). */
  readonly alsoWithSourceMaps?: boolean;
}

interface ProbeAnswer {
  readonly ok: boolean;
  readonly importMs: number;
  readonly importCpuMs: number;
  readonly firstInvokeMs: number | null;
  readonly outcome: string | number | null;
  readonly error?: string;
}

function packageOf(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match ? match[1]! : path.split('/').slice(0, 2).join('/');
}

function largestInputs(metafile: Metafile): { name: string; bytes: number }[] {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + input.bytesInOutput);
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, bytes]) => ({ name, bytes }));
}

function runProbe(bundle: string, env: Record<string, string>, event: unknown, nodeOptions = STACK_NODE_OPTIONS, execPath = process.execPath): Promise<ProbeAnswer> {
  return new Promise((resolve, reject) => {
    const child = fork(probe, [], {
      execPath,
      execArgv: [],
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        NODE_OPTIONS: nodeOptions,
        // The SDK warns on Node < 22 (the floor-Node comparison, not Lambda): the warning's own cost stays out of the figure.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString('utf8');
    });
    let answer: ProbeAnswer | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('message', (message: ProbeAnswer) => {
      answer = message;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (answer?.ok) resolve(answer);
      else reject(new Error(`cold-start probe of ${bundle} failed: ${answer?.error ?? `exit ${code}`} ${stderr.slice(0, 500)}`));
    });
    child.send({ bundle, event });
  });
}

export interface ColdStartOptions {
  /** Fresh processes per bundle (≥ 21 for the figures the issue asks for). */
  readonly processes: number;
  /** Another Node binary (the engines floor) to import the deployed bundles with as well, for comparison. */
  readonly floorNodeExecPath?: string;
}

export async function measureColdStarts(servers: BenchServers, options: ColdStartOptions): Promise<BundleFigures[]> {
  rmSync(outRoot, { recursive: true, force: true });
  const authorizerToken = servers.mint(1)[0]!;
  const authorizerEvent = httpApiEvent({ method: ROUTE.method, path: ROUTE.path, authorization: `Bearer ${authorizerToken}` });
  const exchangeTokens = servers.mint(options.processes * 5 + 5);
  let nextExchangeToken = 0;
  const configEnv = (dir: string) => ({ GATEPASS_CONFIG_FILE: BUNDLED_CONFIG_FILE_NAME, LAMBDA_TASK_ROOT: dir });
  // What the stack derives from the bench configuration (no introspection, no MCP route).
  const deployedFeatures = bundleFeaturesOf(parseConfigText(JSON.stringify(servers.config()), 'bench configuration'));

  const specs: BundleSpec[] = [
    {
      name: 'authorizer',
      description: 'gatepass authorizer with introspection (what the stack deploys when an issuer introspects)',
      entry: 'functions/authorizer/handler.ts',
      env: () => lambdaEnv('gatepass-authorizer'),
      event: () => authorizerEvent,
      firstInvoke: 'first request: JWKS fetch (loopback) + full RS256 validation',
      alsoWithSourceMaps: true,
    },
    {
      name: 'authorizer-jwt-only',
      description: 'authorizer without introspection code (what the stack deploys when no issuer introspects)',
      entry: 'functions/authorizer/handler.ts',
      features: { introspection: false, mcp: false },
      alsoWithSourceMaps: true,
      env: () => lambdaEnv('gatepass-authorizer'),
      event: () => authorizerEvent,
      firstInvoke: 'first request: JWKS fetch (loopback) + full RS256 validation',
      note: 'the stack deploys this for configurations without introspection: built with the same features the stack derives (bundleFeaturesOf), which drop introspection at build time',
    },
    {
      name: 'peer-authorizer',
      description: 'peer: jsonwebtoken + jwks-rsa',
      entry: 'test/bench/peer/peer-authorizer.ts',
      // jsonwebtoken and jwks-rsa are CommonJS and require() Node built-ins: an ESM bundle needs `require`.
      extra: { banner: { js: "import { createRequire as __peerCreateRequire } from 'node:module'; const require = __peerCreateRequire(import.meta.url);" } },
      env: () => ({
        ...lambdaEnv('peer-authorizer'),
        PEER_JWKS_URI: servers.idp.jwksUri,
        PEER_ISSUER: PARTNER_ISSUER,
        PEER_AUDIENCE: API_AUDIENCE,
        PEER_ALGORITHMS: 'RS256',
        PEER_REQUIRED_SCOPE: REQUIRED_SCOPE,
      }),
      event: () => authorizerEvent,
      firstInvoke: 'first request: JWKS fetch (loopback) + RS256 verify',
      note: 'shared options plus a createRequire banner, which its CommonJS dependencies need in an ESM bundle',
    },
    {
      name: 'exchange',
      description: 'gatepass exchange, as deployed (AWS SDK bundled, tree-shaken ESM)',
      entry: 'functions/exchange/handler.ts',
      features: deployedFeatures,
      env: () => ({ ...servers.exchangeEnv }),
      event: () => exchangeEventFor(exchangeTokens[nextExchangeToken++]!),
      firstInvoke: 'first request: cache miss, token exchange at oidc-provider, table write, forward to the echo upstream',
      note: 'import includes Lambda init work: the cache key secret is read from the loopback Secrets Manager (top-level await)',
      alsoWithSourceMaps: true,
    },
    {
      name: 'exchange-with-mcp',
      description: 'exchange with its MCP token validation kept (what the stack deploys when a route is an MCP server)',
      entry: 'functions/exchange/handler.ts',
      features: { ...deployedFeatures, mcp: true },
      env: () => ({ ...servers.exchangeEnv }),
      event: () => exchangeEventFor(exchangeTokens[nextExchangeToken++]!),
      firstInvoke: 'first request: cache miss, token exchange at oidc-provider, table write, forward to the echo upstream',
      note: 'the same configuration (no MCP route): the figure is the cost of the code GATEPASS_BUNDLE_MCP "false" drops, loaded but not run',
    },
    {
      name: 'exchange-sdk-external',
      description: 'exchange with @aws-sdk/* external (runtime-provided SDK)',
      entry: 'functions/exchange/handler.ts',
      features: deployedFeatures,
      extra: { external: ['@aws-sdk/*'] },
      env: () => ({ ...servers.exchangeEnv }),
      event: () => exchangeEventFor(exchangeTokens[nextExchangeToken++]!),
      firstInvoke: 'first request: cache miss, token exchange at oidc-provider, table write, forward to the echo upstream',
      note: "measured with the SDK installed in this repository's node_modules (CommonJS builds), standing in for the runtime's /var/runtime copy",
    },
  ];

  specs.push(...anchorSpecs(servers, authorizerEvent, () => exchangeEventFor(exchangeTokens[nextExchangeToken++]!)));

  const built = new Map<string, { dir: string; bundle: string; metafile: Metafile }>();
  for (const spec of specs) {
    const dir = join(outRoot, spec.name);
    mkdirSync(dir, { recursive: true });
    const result = await build({ ...esbuildOptionsFor(join(repoRoot, spec.entry), dir, spec.features), ...spec.extra, metafile: true, logLevel: 'error' });
    writeBundledConfig(dir, BUNDLED_CONFIG_FILE_NAME, servers.config());
    built.set(spec.name, { dir, bundle: join(dir, BUNDLE_FILE_NAME), metafile: result.metafile });
  }

  const samples = new Map<string, ProbeAnswer[]>(specs.map((spec) => [spec.name, []]));
  const withSourceMaps = new Map<string, number[]>();
  const onFloorNode = new Map<string, number[]>();
  for (let round = 0; round < options.processes; round += 1) {
    for (const spec of specs) {
      const { dir, bundle } = built.get(spec.name)!;
      samples.get(spec.name)!.push(await runProbe(bundle, { ...spec.env(), ...configEnv(dir) }, spec.event(round)));
      if (spec.alsoWithSourceMaps && round % 2 === 0) {
        const answer = await runProbe(bundle, { ...spec.env(), ...configEnv(dir) }, null, SOURCE_MAPS_NODE_OPTIONS);
        withSourceMaps.set(spec.name, [...(withSourceMaps.get(spec.name) ?? []), answer.importMs]);
      }
      if (options.floorNodeExecPath && spec.alsoWithSourceMaps && round % 2 === 1) {
        const answer = await runProbe(bundle, { ...spec.env(), ...configEnv(dir) }, null, STACK_NODE_OPTIONS, options.floorNodeExecPath);
        onFloorNode.set(spec.name, [...(onFloorNode.get(spec.name) ?? []), answer.importMs]);
      }
    }
  }

  return specs.map((spec) => {
    const { bundle, metafile } = built.get(spec.name)!;
    const code = readFileSync(bundle);
    const runs = samples.get(spec.name)!;
    const invokes = runs.map((r) => r.firstInvokeMs).filter((v): v is number => v !== null);
    return {
      name: spec.name,
      description: spec.description,
      bytes: code.byteLength,
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
      sourceMapBytes: statSync(`${bundle}.map`).size,
      largestInputs: largestInputs(metafile),
      processes: runs.length,
      importMs: median(runs.map((r) => r.importMs)),
      importP90Ms: quantile(runs.map((r) => r.importMs), 0.9),
      importCpuMs: median(runs.map((r) => r.importCpuMs)),
      firstInvokeMs: invokes.length ? median(invokes) : null,
      firstInvoke: spec.firstInvoke,
      outcomes: [...new Set(runs.map((r) => String(r.outcome)))],
      ...(withSourceMaps.has(spec.name) ? { importMsWithSourceMaps: median(withSourceMaps.get(spec.name)!) } : {}),
      ...(onFloorNode.has(spec.name) ? { importMsOnFloorNode: median(onFloorNode.get(spec.name)!) } : {}),
      ...(spec.note ? { note: spec.note } : {}),
    };
  });
}

/** Environment of the minimal exchange-shaped anchor (test/bench/anchors/minimal-exchange.ts). */
export function minimalExchangeEnv(servers: Pick<BenchServers, 'exchangeEnv' | 'as' | 'echo'>): Record<string, string> {
  return {
    ...servers.exchangeEnv,
    ANCHOR_SECRET_ID: CORP_SECRET_ID,
    ANCHOR_TABLE: servers.exchangeEnv['GATEPASS_CACHE_TABLE']!,
    ANCHOR_TOKEN_ENDPOINT: servers.as.tokenEndpoint,
    ANCHOR_UPSTREAM: `${servers.echo.url}/orders-svc`,
  };
}

/**
 * The minimal anchors (test/bench/anchors/), bundled with the same options as gatepass:
 * what any function doing the same job must spend, for the gatepass / anchor ratios.
 */
function anchorSpecs(servers: BenchServers, authorizerEvent: unknown, exchangeEvent: () => unknown): BundleSpec[] {
  return [
    {
      name: 'minimal-authorizer',
      description: 'anchor: aws-jwt-verify REQUEST authorizer, one issuer, no configuration, no logging',
      entry: 'test/bench/anchors/minimal-authorizer.ts',
      env: () => ({ ...lambdaEnv('minimal-authorizer'), ANCHOR_ISSUER: PARTNER_ISSUER, ANCHOR_JWKS_URI: servers.idp.jwksUri, ANCHOR_AUDIENCE: API_AUDIENCE, ANCHOR_SCOPE: REQUIRED_SCOPE }),
      event: () => authorizerEvent,
      firstInvoke: 'first request: JWKS fetch (loopback) + RS256 verify',
    },
    {
      name: 'minimal-exchange',
      description: 'anchor: the same SDK clients, one secret read at init; per request GetItem, RFC 8693 exchange, PutItem, forward',
      entry: 'test/bench/anchors/minimal-exchange.ts',
      env: () => minimalExchangeEnv(servers),
      event: exchangeEvent,
      firstInvoke: 'first request: GetItem, token exchange at oidc-provider, PutItem, forward to the echo upstream',
    },
    {
      name: 'minimal-forwarder',
      description: 'anchor: node:http keep-alive forward with a fixed bearer token',
      entry: 'test/bench/anchors/minimal-forwarder.ts',
      env: () => ({ ANCHOR_UPSTREAM: `${servers.echo.url}/orders-svc`, ANCHOR_BEARER: 'anchor' }),
      event: exchangeEvent,
      firstInvoke: 'first request: one forward to the echo upstream (new connection)',
    },
  ];
}
