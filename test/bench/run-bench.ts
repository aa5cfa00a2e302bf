/**
 * `npm run bench`: gatepass side by side with the crypto floor and the usual peer (issue #6).
 * Prints a table and writes test/bench/results/latest.json. Everything runs on 127.0.0.1.
 * A benchmark, never a test: it asserts nothing about timing; it only refuses to report
 * figures whose requests did not succeed.
 *
 *   1. authorizer warm path per request (RS256, ES256, EdDSA): floor, gatepass, peer
 *   2. cold-start proxies: bundles as the CDK stack builds them, import and first invoke
 *   3. exchange path: memory hit, table hit, miss; 100 concurrent identical requests
 *   4. end to end through the local stack (scripts/local) with autocannon
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../../scripts/command-line.js';
import { findLambdaNode, LAMBDA_NODE_MAJOR } from '../../scripts/lambda-node.js';
import type { WarmPathResult } from './authorizer-warm-path.js';
import { runInChild } from './bench-child.js';
import { BENCH_ALGS } from './bench-fixtures.js';
import { costRow, LAMBDA_ARM_PRICE, MEMORY_SIZES_MB } from './bench-cost.js';
import { fmt, renderSection, renderTargets, type Section, type TargetCheck } from './bench-report.js';
import { pairedRatio, round, type BatchPlan, type PerCall } from './bench-stats.js';
import type { BundleFigures } from './cold-start.js';
import type { EndToEndResult } from './end-to-end.js';
import type { CachePhaseResult, ConcurrencyPhaseResult, ExchangePathInput, HandlerPhaseResult } from './exchange-path.js';

const USAGE = `usage: npm run bench
  measures gatepass beside the crypto floor and the usual peer, on 127.0.0.1 (a few minutes),
  prints the tables and writes test/bench/results/latest.json; no options
  BENCH_QUICK=1 npm run bench   smaller runs for a quick look (the published figures use the full plan)`;

parseCommandLine(USAGE, { options: {} });

// The figures are for the runtime users get (Lambda nodejs24.x): on another Node, run the whole bench again on
// Node 24 (scripts/lambda-node.ts; its children inherit process.execPath), or fail loudly, never measure the wrong one.
const FLOOR_NODE_ENV = 'GATEPASS_BENCH_FLOOR_NODE';
if (process.versions.node.split('.')[0] !== String(LAMBDA_NODE_MAJOR)) {
  const lookup = await findLambdaNode();
  if (!lookup.ok) {
    console.error(`npm run bench measures on Node ${LAMBDA_NODE_MAJOR}, as Lambda runs, and cannot get it: ${lookup.reason}`);
    process.exit(1);
  }
  process.stderr.write(`[bench] this is Node ${process.version}; measuring on ${lookup.node.version} (${lookup.node.execPath})\n`);
  const rerun = spawnSync(lookup.node.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    // This Node (the engines floor) still imports the deployed bundles, for the cold-start comparison column.
    env: { ...process.env, [FLOOR_NODE_ENV]: process.execPath },
  });
  process.exit(rerun.status ?? 1);
}
// Loaded after the command line: importing the servers starts oidc-provider's runtime warning and takes a second.
const { startBenchServers } = await import('./bench-servers.js');
const { measureColdStarts, minimalExchangeEnv } = await import('./cold-start.js');
const { measureEndToEnd } = await import('./end-to-end.js');

// The SDK warns once per process that Node 20 support ends in 2027; the bench knows.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const resultsFile = join(repoRoot, 'test', 'bench', 'results', 'latest.json');
const started = Date.now();
const loadAtStart = loadavg().map((v) => round(v));
const progress = (message: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

/** Smaller runs for a quick look (BENCH_QUICK=1); the published figures use the full plan. */
const quick = process.env['BENCH_QUICK'] === '1';
const WARM_PATH_PLAN: BatchPlan = quick ? { batches: 5, perBatch: 100 } : { batches: 50, perBatch: 100, warmupBatches: 4 };
const CACHE_PLAN: BatchPlan = quick ? { batches: 5, perBatch: 500 } : { batches: 15, perBatch: 2000 };
const HANDLER_HIT_PLAN: BatchPlan = quick ? { batches: 4, perBatch: 25 } : { batches: 12, perBatch: 50 };
const HANDLER_MISS_PLAN: BatchPlan = quick ? { batches: 3, perBatch: 10, warmupBatches: 1 } : { batches: 10, perBatch: 20, warmupBatches: 1 };
const COLD_START_PROCESSES = quick ? 5 : 21;
const floorNodeExecPath = process.env[FLOOR_NODE_ENV];
const floorNodeVersion = floorNodeExecPath ? execFileSync(floorNodeExecPath, ['--version'], { encoding: 'utf8' }).trim() : undefined;
const CONCURRENT_REQUESTS = 100;

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** CPU ratio of two side-by-side variants (median of per-round ratios). */
const cpuRatio = (a: PerCall, b: PerCall): number => pairedRatio(a, b);
const perCallJson = (p: PerCall) => ({ wallUs: round(p.wallUs), cpuUs: round(p.cpuUs), calls: p.calls, batches: p.batches });

// ---------------------------------------------------------------- section 1
const warmPath: WarmPathResult[] = [];
for (const alg of BENCH_ALGS) {
  progress(`1. authorizer warm path, ${alg}`);
  warmPath.push(await runInChild<WarmPathResult>(new URL('./authorizer-warm-path.ts', import.meta.url), { alg, plan: WARM_PATH_PLAN }));
}

// ---------------------------------------------------------------- sections 2 and 3
progress('starting loopback servers (partner JWKS, oidc-provider, dynalite, Secrets Manager stand-in, echo upstream)');
const servers = await startBenchServers();
let coldStarts: BundleFigures[];
let cachePhase: CachePhaseResult;
let handlerPhase: HandlerPhaseResult;
let concurrency: ConcurrencyPhaseResult & { tokenEndpointCalls: number };
let upstreamReuse: { requests: number; connections: number };
try {
  progress(`2. cold starts: bundling, then ${COLD_START_PROCESSES} fresh processes per bundle`);
  coldStarts = await measureColdStarts(servers, { processes: COLD_START_PROCESSES, ...(floorNodeExecPath ? { floorNodeExecPath } : {}) });

  const exchangeChild = <T>(input: ExchangePathInput) => runInChild<T>(new URL('./exchange-path.ts', import.meta.url), input, { env: servers.exchangeEnv });
  progress('3. exchange path: cache layers');
  cachePhase = await exchangeChild<CachePhaseResult>({ phase: 'cache', config: servers.config(), plan: CACHE_PLAN });
  progress('3. exchange path: whole handler (memory hit, table hit, miss)');
  const missCount = (HANDLER_MISS_PLAN.batches + (HANDLER_MISS_PLAN.warmupBatches ?? 2)) * HANDLER_MISS_PLAN.perBatch;
  const upstreamBefore = { requests: servers.echo.requests.length, connections: servers.echo.connections };
  handlerPhase = await exchangeChild<HandlerPhaseResult>({
    phase: 'handler',
    config: servers.config(),
    hitPlan: HANDLER_HIT_PLAN,
    missPlan: HANDLER_MISS_PLAN,
    tokens: servers.mint(missCount + 1),
    anchorTokens: servers.mint(missCount),
    anchorEnv: minimalExchangeEnv(servers),
  });
  upstreamReuse = { requests: servers.echo.requests.length - upstreamBefore.requests, connections: servers.echo.connections - upstreamBefore.connections };
  progress(`3. exchange path: ${CONCURRENT_REQUESTS} concurrent identical requests`);
  const tokenCallsBefore = servers.as.calls.token;
  const result = await exchangeChild<ConcurrencyPhaseResult>({ phase: 'concurrency', config: servers.config(), token: servers.mint(1)[0]!, requests: CONCURRENT_REQUESTS });
  concurrency = { ...result, tokenEndpointCalls: servers.as.calls.token - tokenCallsBefore };
} finally {
  await servers.stop();
}

// ---------------------------------------------------------------- section 4
progress('4. end to end through the local stack');
let endToEnd: EndToEndResult;
try {
  endToEnd = await measureEndToEnd({ quick });
} catch (error) {
  // The local stack is another part of the project: its failure must not hide sections 1–3.
  endToEnd = { status: 'skipped', reason: `the local stack failed: ${(error as Error).message.slice(0, 300)}` };
}

// ---------------------------------------------------------------- report
const byAlg = Object.fromEntries(warmPath.map((w) => [w.alg, w])) as Record<string, WarmPathResult>;
const bundle = (name: string) => coldStarts.find((b) => b.name === name)!;

const authorizerSection: Section = {
  title: '1. Authorizer warm path, per request (median; CPU = user+system of all threads)',
  header: ['alg', 'floor cpu µs', 'gatepass new cpu µs', 'wall µs', '/floor', 'no-telemetry cpu µs', '/floor', 'repeated cpu µs', 'no-telemetry µs', 'telemetry µs', 'peer cpu µs', 'peer/gatepass'],
  rows: warmPath.map((w) => ({
    label: `${w.alg} (${w.tokenBytes} B token)`,
    cells: [
      fmt.us(w.floor.cpuUs),
      fmt.us(w.gatepassFirstSeen.cpuUs),
      fmt.us(w.gatepassFirstSeen.wallUs),
      fmt.ratio(cpuRatio(w.gatepassFirstSeen, w.floor)),
      fmt.us(w.gatepassFirstSeenNoTelemetry.cpuUs),
      fmt.ratio(cpuRatio(w.gatepassFirstSeenNoTelemetry, w.floor)),
      fmt.us(w.gatepassRepeated.cpuUs),
      fmt.us(w.gatepassRepeatedNoTelemetry.cpuUs),
      fmt.us(w.gatepassRepeated.cpuUs - w.gatepassRepeatedNoTelemetry.cpuUs),
      w.peerFirstSeen ? fmt.us(w.peerFirstSeen.cpuUs) : 'n/a',
      w.peerFirstSeen ? fmt.ratio(cpuRatio(w.peerFirstSeen, w.gatepassFirstSeen)) : 'n/a',
    ],
  })),
  notes: [
    'gatepass = the real handler module with its real telemetry: one decision line per request carrying the audit fields and the EMF metrics, written to /dev/null; "no-telemetry" = the same Authorizer with a telemetry that drops everything',
    '"new" = a token never seen before (full validation); "repeated" = the same token again (verified-token memo: no signature check; time, issuer, scope and classification checks still run); "telemetry" = repeated minus its no-telemetry figure: the decision line',
    'floor = crypto.verify of the same tokens with a prebuilt KeyObject and pre-decoded inputs; peer = jsonwebtoken + jwks-rsa getKey callback (jsonwebtoken cannot verify EdDSA), logging nothing',
  ],
};

const coldSection: Section = {
  title: `2. Cold-start proxies (bundled with infra/bundling-options.ts; median of ${COLD_START_PROCESSES} fresh processes, no NODE_OPTIONS, as the stack sets)`,
  header: ['bundle', 'KB min', 'KB gzip', 'import ms', 'import p90', 'import cpu ms', '--enable-source-maps', `on Node ${floorNodeVersion ?? 'floor'}`, 'first invoke ms'],
  rows: coldStarts.map((b) => ({
    label: b.name,
    cells: [fmt.kb(b.bytes), fmt.kb(b.gzipBytes), fmt.ms(b.importMs), fmt.ms(b.importP90Ms), fmt.ms(b.importCpuMs), fmt.ms(b.importMsWithSourceMaps), fmt.ms(b.importMsOnFloorNode), fmt.ms(b.firstInvokeMs)],
  })),
  notes: [
    `measured on Node ${process.version}, Lambda's major version (nodejs${LAMBDA_NODE_MAJOR}.x); "on Node ${floorNodeVersion ?? 'floor'}": the same import on the Node that started the bench (the engines floor), for comparison only${floorNodeVersion ? '' : ' (not measured: the bench was started on Node 24)'}`,
    ...coldStarts.filter((b) => b.note).map((b) => `${b.name}: ${b.note}`),
  ],
};

const exchangeSection: Section = {
  title: '3. Exchange path (median per request; the servers run in another process)',
  header: ['what', 'wall µs', 'cpu µs'],
  rows: [
    { label: 'cache: pk derivation (canonical tuple + HMAC, 1 KB token)', cells: [fmt.us(cachePhase.pkDerivation.wallUs), fmt.us(cachePhase.pkDerivation.cpuUs)] },
    { label: 'cache: seal / open (HKDF entry key + AES-256-GCM)', cells: [`${fmt.us(cachePhase.seal.wallUs)} / ${fmt.us(cachePhase.open.wallUs)}`, `${fmt.us(cachePhase.seal.cpuUs)} / ${fmt.us(cachePhase.open.cpuUs)}`] },
    { label: 'cache: memory hit (deployed sinks: CacheHit recorded for the decision line)', cells: [fmt.us(cachePhase.memoryHit.wallUs), fmt.us(cachePhase.memoryHit.cpuUs)] },
    { label: 'cache: memory hit (silent sink)', cells: [fmt.us(cachePhase.memoryHitSilentSink.wallUs), fmt.us(cachePhase.memoryHitSilentSink.cpuUs)] },
    { label: `cache: table hit, new container (${Object.entries(cachePhase.tableHitCommands).map(([c, n]) => `${n} ${c.replace('Command', '')}`).join(', ')} per lookup)`, cells: [fmt.us(cachePhase.tableHit.wallUs), fmt.us(cachePhase.tableHit.cpuUs)] },
    { label: 'cache: miss with table write (GetItem, then conditional PutItem)', cells: [fmt.us(cachePhase.tableWrite.wallUs), fmt.us(cachePhase.tableWrite.cpuUs)] },
    { label: 'SDK alone, same client: GetItem / conditional PutItem', cells: [`${fmt.us(cachePhase.sdkGetItem.wallUs)} / ${fmt.us(cachePhase.sdkPutItem.wallUs)}`, `${fmt.us(cachePhase.sdkGetItem.cpuUs)} / ${fmt.us(cachePhase.sdkPutItem.cpuUs)}`] },
    { label: 'handler: memory hit + forward to echo upstream', cells: [fmt.us(handlerPhase.memoryHit.wallUs), fmt.us(handlerPhase.memoryHit.cpuUs)] },
    { label: 'handler: table hit + forward (memoryMaxEntries 0)', cells: [fmt.us(handlerPhase.tableHit.wallUs), fmt.us(handlerPhase.tableHit.cpuUs)] },
    { label: 'handler: miss (oidc-provider exchange + table write + forward)', cells: [fmt.us(handlerPhase.miss.wallUs), fmt.us(handlerPhase.miss.cpuUs)] },
    { label: `${concurrency.requests} concurrent identical requests → token endpoint calls`, cells: [`${round(concurrency.wallMs)} ms`, `${concurrency.tokenEndpointCalls} call(s)`] },
    { label: 'upstream connections opened / requests forwarded (handler phase)', cells: [`${upstreamReuse.connections}`, `${upstreamReuse.requests}`] },
  ],
};

const endToEndSection: Section | undefined =
  endToEnd.status === 'measured'
    ? {
        title: `4. End to end through the local stack (autocannon, ${endToEnd.connections} connections, ${endToEnd.durationSeconds} s each, 127.0.0.1)`,
        header: ['path', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'errors', 'mean latency / direct'],
        rows: endToEnd.runs.map((r) => ({
          label: r.name,
          cells: [fmt.int(r.requestsPerSecond), fmt.ms(r.meanMs), fmt.ms(r.p50Ms), fmt.ms(r.p99Ms), `${r.errors + r.non2xx + r.timeouts}`, r.name === 'echo upstream, direct' ? '—' : fmt.ratio(r.overheadVsDirect)],
        })),
        notes: endToEnd.notes,
      }
    : undefined;

const rs = byAlg['RS256']!;
const es = byAlg['ES256']!;
const ed = byAlg['EdDSA']!;
const firstSeenTarget = (w: WarmPathResult, limit: number): TargetCheck => {
  const deployed = cpuRatio(w.gatepassFirstSeen, w.floor);
  const quiet = cpuRatio(w.gatepassFirstSeenNoTelemetry, w.floor);
  return {
    id: `authorizer-first-seen-${w.alg}`,
    what: `authorizer ${w.alg}, new token: CPU / floor`,
    target: `≤ ${limit}×`,
    measured: fmt.ratio(deployed),
    met: deployed <= limit,
    context: `${fmt.ratio(quiet)} without telemetry output (${quiet <= limit ? 'met' : 'missed'})`,
  };
};
const exchangeBundle = bundle('exchange');
const authorizerBundle = bundle('authorizer');
const jwtOnlyBundle = bundle('authorizer-jwt-only');
const minimalAuthorizer = bundle('minimal-authorizer');
const minimalExchange = bundle('minimal-exchange');
const importRatio = (b: BundleFigures, anchor: BundleFigures) => b.importMs / anchor.importMs;
const invokeRatio = (b: BundleFigures, anchor: BundleFigures) => (b.firstInvokeMs ?? Number.NaN) / (anchor.firstInvokeMs ?? Number.NaN);
const warmForwardRatio = cpuRatio(handlerPhase.memoryHit, handlerPhase.minimalForward);
/** gatepass's own CPU on a miss: the whole handler less the anchor doing the same GetItem, token exchange, PutItem and forward. */
const missOwnCpuUs = handlerPhase.miss.cpuUs - handlerPhase.minimalMiss.cpuUs;
const peerOverGatepass = cpuRatio(rs.peerFirstSeen!, rs.gatepassFirstSeen);

/** The figures issue #14 asks for, each a number, under `headline` in latest.json. */
const headline = {
  authorizerRs256CpuOverFloor: round(cpuRatio(rs.gatepassFirstSeen, rs.floor)),
  authorizerEs256CpuOverFloor: round(cpuRatio(es.gatepassFirstSeen, es.floor)),
  authorizerEddsaCpuOverFloor: round(cpuRatio(ed.gatepassFirstSeen, ed.floor)),
  memoCpuUs: round(rs.gatepassRepeated.cpuUs),
  peerOverGatepassCpu: round(peerOverGatepass),
  authorizerImportOverMinimal: round(importRatio(jwtOnlyBundle, minimalAuthorizer)),
  authorizerIntrospectionImportOverMinimal: round(importRatio(authorizerBundle, minimalAuthorizer)),
  exchangeImportOverMinimal: round(importRatio(exchangeBundle, minimalExchange)),
  warmForwardCpuOverMinimal: round(warmForwardRatio),
  exchangeBundleKB: round(exchangeBundle.bytes / 1024),
};

const anchorSection: Section = {
  title: '5. gatepass against the minimal anchors (test/bench/anchors/, same esbuild options, same run)',
  header: ['what', 'gatepass', 'minimal', 'gatepass / minimal'],
  rows: [
    { label: 'authorizer import ms (JWT-only build)', cells: [fmt.ms(jwtOnlyBundle.importMs), fmt.ms(minimalAuthorizer.importMs), fmt.ratio(importRatio(jwtOnlyBundle, minimalAuthorizer))] },
    { label: 'authorizer import ms (with introspection)', cells: [fmt.ms(authorizerBundle.importMs), fmt.ms(minimalAuthorizer.importMs), fmt.ratio(importRatio(authorizerBundle, minimalAuthorizer))] },
    { label: 'exchange import ms (incl. one secret read)', cells: [fmt.ms(exchangeBundle.importMs), fmt.ms(minimalExchange.importMs), fmt.ratio(importRatio(exchangeBundle, minimalExchange))] },
    { label: 'authorizer first invoke ms (JWT-only build)', cells: [fmt.ms(jwtOnlyBundle.firstInvokeMs), fmt.ms(minimalAuthorizer.firstInvokeMs), fmt.ratio(invokeRatio(jwtOnlyBundle, minimalAuthorizer))] },
    { label: 'exchange first invoke ms (a miss)', cells: [fmt.ms(exchangeBundle.firstInvokeMs), fmt.ms(minimalExchange.firstInvokeMs), fmt.ratio(invokeRatio(exchangeBundle, minimalExchange))] },
    ...warmPath.map((w) => ({
      label: `authorizer ${w.alg} new token, warm cpu µs`,
      cells: [fmt.us(w.gatepassFirstSeen.cpuUs), fmt.us(w.minimalFirstSeen.cpuUs), fmt.ratio(cpuRatio(w.gatepassFirstSeen, w.minimalFirstSeen))],
    })),
    { label: 'exchange memory hit + forward, warm cpu µs', cells: [fmt.us(handlerPhase.memoryHit.cpuUs), fmt.us(handlerPhase.minimalForward.cpuUs), fmt.ratio(warmForwardRatio)] },
    { label: 'exchange miss, warm cpu µs', cells: [fmt.us(handlerPhase.miss.cpuUs), fmt.us(handlerPhase.minimalMiss.cpuUs), fmt.ratio(cpuRatio(handlerPhase.miss, handlerPhase.minimalMiss))] },
  ],
  notes: [
    'minimal-authorizer: aws-jwt-verify JwtVerifier, one issuer, no configuration, no logging (its warm CPU: the same first-seen tokens, interleaved with gatepass in section 1)',
    'minimal-exchange: the same two SDK clients, one secret read at init; per request GetItem, RFC 8693 exchange at oidc-provider, PutItem, keep-alive forward (no validation, encryption or logging)',
    'minimal-forwarder: node:http keep-alive forward to the same echo upstream with a fixed bearer token, interleaved with the memory-hit handler',
    'import ratios are ratios of the medians over the fresh processes of section 2, which ran interleaved',
  ],
};

const costRows = [
  ...[0, 0.9, 0.99].map((hitRate) => costRow(`authorizer, RS256, API Gateway cache hit rate ${hitRate * 100} % (each invocation a new token)`, rs.gatepassFirstSeen, 1 - hitRate)),
  costRow('authorizer, one invocation answered by the memo', rs.gatepassRepeated),
  costRow('minimal authorizer (anchor), one invocation, new token', rs.minimalFirstSeen),
  costRow('exchange: memory hit + forward', handlerPhase.memoryHit),
  costRow('exchange: table hit + forward', handlerPhase.tableHit),
  costRow('exchange: miss (exchange, table write, forward)', handlerPhase.miss),
  costRow('minimal forwarder (anchor)', handlerPhase.minimalForward),
  costRow('minimal exchange (anchor) on a miss', handlerPhase.minimalMiss),
];
const costSection: Section = {
  title: `6. Lambda cost per million API requests, Arm (USD, ${LAMBDA_ARM_PRICE.region} prices read ${LAMBDA_ARM_PRICE.readOn}: $${LAMBDA_ARM_PRICE.usdPerMillionRequests}/M requests, $${LAMBDA_ARM_PRICE.usdPerGbSecond}/GB-s)`,
  header: ['what', ...MEMORY_SIZES_MB.map((mb) => `billed ms @${mb}`), ...MEMORY_SIZES_MB.map((mb) => `$ @${mb} MB`)],
  rows: costRows.map((r) => ({ label: r.what, cells: [...MEMORY_SIZES_MB.map((mb) => `${r.billedMs[mb]}`), ...MEMORY_SIZES_MB.map((mb) => r.usdPerMillionRequests[mb]!.toFixed(3))] })),
  notes: [
    'billed ms = max(measured wall, measured CPU × 1769 / memory MB: Lambda gives one vCPU at 1,769 MB), rounded up to whole ms; x86 CPU figures stand in for Graviton',
    'wall times hold loopback round trips (dynalite, oidc-provider, the echo upstream): real DynamoDB, token endpoint and upstream latencies add billed ms on AWS',
    'the authorizer rows at a cache hit rate count Lambda invocations per API request (1 − hit rate); API Gateway and DynamoDB charges are not included',
  ],
};

const targets: TargetCheck[] = [
  firstSeenTarget(rs, 1.5),
  firstSeenTarget(es, 1.3),
  firstSeenTarget(ed, 1.3),
  {
    id: 'authorizer-memo',
    what: 'authorizer, repeated token (memo): CPU per request',
    target: '≤ 8 µs',
    measured: `${fmt.us(rs.gatepassRepeated.cpuUs)} µs`,
    met: rs.gatepassRepeated.cpuUs <= 8,
    context: `${fmt.us(rs.gatepassRepeatedNoTelemetry.cpuUs)} µs without telemetry output`,
  },
  {
    id: 'authorizer-vs-peer',
    what: 'authorizer vs jsonwebtoken+jwks-rsa, RS256: peer CPU / gatepass CPU',
    target: '≥ 5×',
    measured: fmt.ratio(peerOverGatepass),
    met: peerOverGatepass >= 5,
    context: `${fmt.ratio(cpuRatio(rs.peerFirstSeen!, rs.gatepassFirstSeenNoTelemetry))} against gatepass without telemetry output (the peer logs nothing)`,
  },
  {
    id: 'authorizer-import',
    what: 'authorizer import, JWT-only build / minimal authorizer',
    target: '≤ 1.5×',
    measured: fmt.ratio(headline.authorizerImportOverMinimal),
    met: headline.authorizerImportOverMinimal <= 1.5,
    context: `${fmt.ms(jwtOnlyBundle.importMs)} / ${fmt.ms(minimalAuthorizer.importMs)} ms`,
  },
  {
    id: 'authorizer-introspection-import',
    what: 'authorizer import, with introspection / minimal authorizer',
    target: '≤ 2×',
    measured: fmt.ratio(headline.authorizerIntrospectionImportOverMinimal),
    met: headline.authorizerIntrospectionImportOverMinimal <= 2,
    context: `${fmt.ms(authorizerBundle.importMs)} / ${fmt.ms(minimalAuthorizer.importMs)} ms`,
  },
  {
    id: 'exchange-import',
    what: 'exchange import / minimal exchange-shaped function',
    target: '≤ 1.5×',
    measured: fmt.ratio(headline.exchangeImportOverMinimal),
    met: headline.exchangeImportOverMinimal <= 1.5,
    context: `${fmt.ms(exchangeBundle.importMs)} / ${fmt.ms(minimalExchange.importMs)} ms, both with one secret read`,
  },
  {
    id: 'exchange-bundle-bytes',
    what: 'exchange bundle (SDK bundled), minified',
    target: '≤ 400 KB',
    measured: `${fmt.kb(exchangeBundle.bytes)} KB`,
    met: exchangeBundle.bytes <= 400 * 1024,
    context: `minimal exchange: ${fmt.kb(minimalExchange.bytes)} KB`,
  },
  {
    id: 'warm-forward',
    what: 'exchange memory hit + forward: CPU / minimal forwarder',
    target: '≤ 1.3×',
    measured: fmt.ratio(warmForwardRatio),
    met: warmForwardRatio <= 1.3,
    context: `${fmt.us(handlerPhase.memoryHit.cpuUs)} / ${fmt.us(handlerPhase.minimalForward.cpuUs)} µs`,
  },
  {
    id: 'exchange-miss-own-cpu',
    what: "exchange miss: gatepass's CPU beyond the SDK calls, token endpoint and forward",
    target: '≤ 1 ms',
    measured: `${fmt.ms(missOwnCpuUs / 1000)} ms`,
    met: missOwnCpuUs <= 1000,
    context: `whole handler ${fmt.ms(handlerPhase.miss.cpuUs / 1000)} ms less the minimal exchange doing the same calls ${fmt.ms(handlerPhase.minimalMiss.cpuUs / 1000)} ms`,
  },
  {
    id: 'exchange-table-hit',
    what: 'exchange cache table hit: DynamoDB calls',
    target: 'exactly 1 GetItem',
    measured: Object.entries(cachePhase.tableHitCommands).map(([c, n]) => `${n} ${c.replace('Command', '')}`).join(', ') || 'none',
    met: Object.keys(cachePhase.tableHitCommands).length === 1 && cachePhase.tableHitCommands['GetItemCommand'] === 1,
  },
  {
    id: 'exchange-single-flight',
    what: `${concurrency.requests} concurrent identical misses`,
    target: '1 token-endpoint call',
    measured: `${concurrency.tokenEndpointCalls}`,
    met: concurrency.tokenEndpointCalls === 1 && concurrency.statuses.every((s) => s === 200),
  },
  {
    id: 'connection-reuse',
    what: 'upstream keep-alive: connections per forwarded request',
    target: 'reused across invocations',
    measured: `${upstreamReuse.connections} / ${upstreamReuse.requests}`,
    met: upstreamReuse.connections <= 4,
  },
];

const tables = [authorizerSection, coldSection, exchangeSection, ...(endToEndSection ? [endToEndSection] : []), anchorSection, costSection].map(renderSection);
if (endToEnd.status !== 'measured') tables.push(`4. End to end: not measured: ${endToEnd.reason}`);
const cpu = cpus();
const machine = {
  cpuModel: cpu[0]?.model ?? 'unknown',
  cpus: cpu.length,
  memoryGiB: round(totalmem() / 1024 ** 3),
  platform: `${platform()} ${release()} ${arch()}`,
  loadAverageAtStart: loadAtStart,
  loadAverageAtEnd: loadavg().map((v) => round(v)),
};
const versions = {
  node: process.version,
  lambdaRuntime: `nodejs${LAMBDA_NODE_MAJOR}.x`,
  /** The older Node of the coldStart[].importMsOnFloorNode comparison, if the bench was started on one. */
  floorNode: floorNodeVersion ?? null,
  gatepassCommit: gitCommit(),
  ...Object.fromEntries(
    [
      'aws-jwt-verify',
      'jsonwebtoken',
      'jwks-rsa',
      '@aws-lambda-powertools/logger',
      '@aws-lambda-powertools/parameters',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-secrets-manager',
      'esbuild',
      'oidc-provider',
      'dynalite',
      'autocannon',
    ].map((name) => [name, packageVersion(name)]),
  ),
};

console.log(`gatepass bench — ${machine.cpus} × ${machine.cpuModel}, Node ${process.version}, ${new Date().toISOString()}${quick ? ' (BENCH_QUICK: reduced runs)' : ''}`);
console.log(`load average (1 min) at start ${machine.loadAverageAtStart[0]}, at end ${machine.loadAverageAtEnd[0]}${Math.max(machine.loadAverageAtStart[0]!, machine.loadAverageAtEnd[0]!) > machine.cpus / 2 ? ': other work shared the CPUs, absolute figures are inflated (ratios less so)' : ''}\n`);
console.log(tables.join('\n\n'));
console.log(`\n${renderTargets(targets)}`);
console.log(`\nheadline (latest.json): ${Object.entries(headline).map(([k, v]) => `${k} ${v}`).join(', ')}`);

const document = {
  schema: 1,
  generatedAt: new Date().toISOString(),
  durationSeconds: round((Date.now() - started) / 1000),
  quick,
  headline,
  machine,
  versions,
  method: {
    perRequest: 'batches of calls timed as a whole (performance.now, process.cpuUsage of the whole process: worker threads included), divided by the batch size; figure = median over batches; variants interleaved batch by batch',
    ratios: 'CPU ratios of side-by-side variants (gatepass/floor, peer/gatepass) are the median of per-round ratios, so load that comes and goes cancels out',
    telemetry: 'gatepass figures are the real handler modules with their decision line (audit fields + EMF) written to stdout = /dev/null (child process); "noTelemetry" figures drop telemetry',
    coldStart: 'each bundle built with infra/bundling-options.ts (esbuildOptionsFor), loaded with import() in a fresh node process (versions.node, Lambda\'s major version) with the stack environment (no NODE_OPTIONS; importMsWithSourceMaps: with --enable-source-maps, as before issue #14), invoked once; importMsOnFloorNode: the same import on versions.floorNode, every other round',
    exchangeExternalSdk: 'the "external" exchange bundle loads @aws-sdk/* from this repository node_modules (CommonJS builds), a stand-in for the runtime-provided copy; the deployed stack bundles the SDK (bundling-options.ts: faster import, pinned version)',
    plans: { warmPath: WARM_PATH_PLAN, cache: CACHE_PLAN, handlerHit: HANDLER_HIT_PLAN, handlerMiss: HANDLER_MISS_PLAN, coldStartProcesses: COLD_START_PROCESSES },
  },
  authorizer: Object.fromEntries(
    warmPath.map((w) => [
      w.alg,
      {
        tokenBytes: w.tokenBytes,
        floor: perCallJson(w.floor),
        gatepassFirstSeen: perCallJson(w.gatepassFirstSeen),
        gatepassRepeated: perCallJson(w.gatepassRepeated),
        gatepassFirstSeenNoTelemetry: perCallJson(w.gatepassFirstSeenNoTelemetry),
        gatepassRepeatedNoTelemetry: perCallJson(w.gatepassRepeatedNoTelemetry),
        peerFirstSeen: w.peerFirstSeen ? perCallJson(w.peerFirstSeen) : null,
        minimalFirstSeen: perCallJson(w.minimalFirstSeen),
        ratios: {
          gatepassOverMinimalCpu: round(cpuRatio(w.gatepassFirstSeen, w.minimalFirstSeen)),
          gatepassOverFloorCpu: round(cpuRatio(w.gatepassFirstSeen, w.floor)),
          gatepassNoTelemetryOverFloorCpu: round(cpuRatio(w.gatepassFirstSeenNoTelemetry, w.floor)),
          peerOverGatepassCpu: w.peerFirstSeen ? round(cpuRatio(w.peerFirstSeen, w.gatepassFirstSeen)) : null,
          peerOverGatepassNoTelemetryCpu: w.peerFirstSeen ? round(cpuRatio(w.peerFirstSeen, w.gatepassFirstSeenNoTelemetry)) : null,
        },
      },
    ]),
  ),
  coldStart: coldStarts.map((b) => ({
    ...b,
    importMs: round(b.importMs),
    importP90Ms: round(b.importP90Ms),
    importCpuMs: round(b.importCpuMs),
    ...(b.importMsWithSourceMaps !== undefined ? { importMsWithSourceMaps: round(b.importMsWithSourceMaps) } : {}),
    ...(b.importMsOnFloorNode !== undefined ? { importMsOnFloorNode: round(b.importMsOnFloorNode) } : {}),
    firstInvokeMs: b.firstInvokeMs === null ? null : round(b.firstInvokeMs),
  })),
  exchange: {
    cache: Object.fromEntries(Object.entries(cachePhase).map(([k, v]) => [k, k === 'tableHitCommands' ? v : perCallJson(v as PerCall)])),
    handler: {
      memoryHit: perCallJson(handlerPhase.memoryHit),
      tableHit: perCallJson(handlerPhase.tableHit),
      miss: perCallJson(handlerPhase.miss),
      minimalForward: perCallJson(handlerPhase.minimalForward),
      minimalMiss: perCallJson(handlerPhase.minimalMiss),
      missOwnCpuUs: round(missOwnCpuUs),
      statuses: handlerPhase.statuses,
    },
    concurrency: { ...concurrency, wallMs: round(concurrency.wallMs) },
    upstreamConnectionReuse: upstreamReuse,
  },
  endToEnd,
  cost: { price: LAMBDA_ARM_PRICE, rows: costRows },
  targets,
};
mkdirSync(join(repoRoot, 'test', 'bench', 'results'), { recursive: true });
writeFileSync(resultsFile, `${JSON.stringify(document, null, 2)}\n`);
progress(`done in ${round((Date.now() - started) / 1000)} s; wrote ${resultsFile.slice(repoRoot.length)}`);
if (!existsSync(resultsFile)) process.exitCode = 1;
