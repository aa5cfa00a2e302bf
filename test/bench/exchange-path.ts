/**
 * Section 3 (run in a child process by run-bench.ts; the servers run in the parent, so
 * the CPU figures are the exchange Lambda's own): the exchange path per request.
 *
 * Phase `cache`: the exchange cache as the handler wires it (createExchangeCache, the
 * Powertools-backed sinks writing to /dev/null, the cache table client), with every
 * DynamoDB command counted:
 *   pk derivation, seal/open, memory hit (also with silent sinks), table hit (a new
 *   container per lookup, as after a cold start: must be exactly one GetItem), table write.
 * Phase `handler`: the real handler module (functions/exchange/handler.ts), event in,
 * proxy result out, forwarding to the echo upstream: memory hit, table hit (a second
 * handler instance with `cache.memoryMaxEntries: 0`), miss (a new subject token per
 * request: token exchange at oidc-provider + conditional PutItem).
 * Phase `concurrency`: 100 concurrent identical requests with a new token in a new
 * container; the parent counts the token endpoint calls.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CacheKeys } from '../../functions/exchange/cache/cache-key.js';
import { fixedCacheKeySource } from '../../functions/exchange/cache/cache-key-source.js';
import { createCacheTableClient, DynamoCacheTable } from '../../functions/exchange/cache/cache-table.js';
import { ServiceName } from '../../functions/shared/contracts/metric-names.js';
import { functionTelemetry } from '../../functions/shared/telemetry/decision-line.js';
import { createExchangeCache } from '../../functions/exchange/cache/exchange-cache-setup.js';
import { ExchangeCache } from '../../functions/exchange/cache/exchange-cache.js';
import type { CacheKeyTuple, IssuedToken } from '../../functions/exchange/exchange-model.js';
import { parseConfig } from '../../functions/shared/config/config-validator.js';
import { childMain } from './bench-child.js';
import { CACHE_KEY_MATERIAL } from './bench-fixtures.js';
import { exchangeEventFor } from './bench-servers.js';
import { interleaved, perCall, type BatchPlan, type PerCall } from './bench-stats.js';

export type ExchangePathInput =
  | { readonly phase: 'cache'; readonly config: Record<string, unknown>; readonly plan: BatchPlan }
  | {
      readonly phase: 'handler';
      readonly config: Record<string, unknown>;
      readonly hitPlan: BatchPlan;
      readonly missPlan: BatchPlan;
      readonly tokens: readonly string[];
      /** Fresh tokens for the minimal exchange anchor's misses (as many as `tokens` less one). */
      readonly anchorTokens: readonly string[];
      /** Environment of the anchors (minimalExchangeEnv in cold-start.ts). */
      readonly anchorEnv: Readonly<Record<string, string>>;
    }
  | { readonly phase: 'concurrency'; readonly config: Record<string, unknown>; readonly token: string; readonly requests: number };

export interface CachePhaseResult {
  readonly pkDerivation: PerCall;
  readonly seal: PerCall;
  readonly open: PerCall;
  readonly memoryHit: PerCall;
  readonly memoryHitSilentSink: PerCall;
  readonly tableHit: PerCall;
  /** DynamoDB commands per table-hit lookup, by command name. */
  readonly tableHitCommands: Readonly<Record<string, number>>;
  readonly tableWrite: PerCall;
  /** The SDK alone, same client and table: a GetItem of an existing item, a PutItem of a like-sized one. */
  readonly sdkGetItem: PerCall;
  readonly sdkPutItem: PerCall;
}

export interface HandlerPhaseResult {
  readonly memoryHit: PerCall;
  /** The minimal forwarder anchor (test/bench/anchors/minimal-forwarder.ts), interleaved with memoryHit. */
  readonly minimalForward: PerCall;
  /** The minimal exchange anchor on a miss (GetItem, token exchange, PutItem, forward), interleaved with miss. */
  readonly minimalMiss: PerCall;
  readonly tableHit: PerCall;
  readonly miss: PerCall;
  readonly statuses: readonly number[];
}

export interface ConcurrencyPhaseResult {
  readonly requests: number;
  readonly statuses: readonly number[];
  readonly wallMs: number;
}

type Handler = (event: unknown, context?: unknown) => Promise<{ statusCode?: number }>;

/** Counts every command the client sends, by name (GetItemCommand, PutItemCommand, ...). */
function countCommands(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      counts.set(context.commandName ?? 'unknown', (counts.get(context.commandName ?? 'unknown') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchCommandCounter' },
  );
  return counts;
}

const issued: IssuedToken = {
  accessToken: `eyJhbGciOiJSUzI1NiJ9.${'a'.repeat(700)}.${'s'.repeat(342)}`,
  issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  tokenType: 'Bearer',
  expiresIn: 3600,
  scope: ['orders:read'],
};
const exchangeOnce = (): Promise<IssuedToken> => Promise.resolve(issued);

function tupleOf(subjectToken: string): CacheKeyTuple {
  return {
    subjectToken,
    authorizationServer: 'corp',
    audience: ['orders'],
    resource: ['https://orders.example'],
    scope: ['orders:read'],
    requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    actor: '',
  };
}

async function cachePhase(input: Extract<ExchangePathInput, { phase: 'cache' }>): Promise<CachePhaseResult> {
  const config = parseConfig(input.config);
  const keys = CacheKeys.fromMaterial(CACHE_KEY_MATERIAL);
  // Subject tokens of a typical JWT's length (≈ 1 KB); the first 100 are the cached set.
  const subject = randomBytes(768).toString('base64url');
  const tuples = Array.from({ length: 400 }, (_, n) => tupleOf(`${subject}.${n}`));
  const client = createCacheTableClient(config.settings.cache);
  const commands = countCommands(client);
  // The sinks as the handler builds them.
  const { log, metrics } = functionTelemetry(ServiceName.Exchange);
  const table = new DynamoCacheTable(client, process.env['GATEPASS_CACHE_TABLE']!, config.settings.cache.tableTimeoutMs);
  // As the handler builds it (from the environment, key material from the Secrets Manager stand-in).
  const deployed = createExchangeCache({ settings: config.settings, log, metrics, dynamoClient: client });
  await deployed.prepare();
  const silent = new ExchangeCache({ keys: fixedCacheKeySource(keys), memoryMaxEntries: config.settings.cache.memoryMaxEntries, refreshMarginSeconds: 30 });
  const hot = tuples.slice(0, 100);
  for (const tuple of hot) {
    await deployed.getOrExchange(tuple, undefined, exchangeOnce);
    await silent.getOrExchange(tuple, undefined, exchangeOnce);
  }
  await deployed.flush();

  const sealed = keys.cipher.seal(issued.accessToken, 'v1#pk', Buffer.from('aad'));
  const micro = await interleaved(input.plan, {
    pkDerivation: (i: number) => keys.pkOf(hot[i % hot.length]!),
    seal: () => keys.cipher.seal(issued.accessToken, 'v1#pk', Buffer.from('aad')),
    open: () => keys.cipher.open(sealed, 'v1#pk', Buffer.from('aad')),
    memoryHit: async (i: number) => {
      const lookup = await deployed.getOrExchange(hot[i % hot.length]!, undefined, exchangeOnce);
      if (lookup.layer !== 'memory') throw new Error(`expected a memory hit, got ${lookup.layer}`);
    },
    memoryHitSilentSink: async (i: number) => {
      const lookup = await silent.getOrExchange(hot[i % hot.length]!, undefined, exchangeOnce);
      if (lookup.layer !== 'memory') throw new Error(`expected a memory hit, got ${lookup.layer}`);
    },
  });

  // Table hits: a new container (empty memory layer) per lookup, the entries written above.
  const tablePlan: BatchPlan = { batches: 8, perBatch: 25, warmupBatches: 1 };
  commands.clear();
  let lookups = 0;
  const tableHit = await perCall(tablePlan, async (i) => {
    const container = new ExchangeCache({ keys: fixedCacheKeySource(keys), table, memoryMaxEntries: 1000, refreshMarginSeconds: 30, log, metrics });
    const lookup = await container.getOrExchange(hot[i % hot.length]!, undefined, exchangeOnce);
    lookups += 1;
    if (lookup.layer !== 'table') throw new Error(`expected a table hit, got ${lookup.layer}`);
  });
  const tableHitCommands = Object.fromEntries([...commands].map(([name, count]) => [name, count / lookups]));

  // Table writes: a miss, then the conditional put that flush() waits for.
  const writer = new ExchangeCache({ keys: fixedCacheKeySource(keys), table, memoryMaxEntries: 1000, refreshMarginSeconds: 30, log, metrics });
  const fresh = tuples.slice(100);
  const tableWrite = await perCall({ batches: 8, perBatch: 25, warmupBatches: 1 }, async (i) => {
    await writer.getOrExchange(fresh[i]!, undefined, exchangeOnce);
    await writer.flush();
  });
  // The SDK's own cost for the same calls, for attribution: what no cache code can go below.
  const tableName = process.env['GATEPASS_CACHE_TABLE']!;
  const storedPk = keys.pkOf(hot[0]!);
  const sdk = await interleaved({ batches: 8, perBatch: 25, warmupBatches: 1 }, {
    sdkGetItem: async () => {
      const answer = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: storedPk } }, ConsistentRead: true }));
      if (!answer.Item) throw new Error('expected the stored item');
    },
    sdkPutItem: async (i: number) => {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: `bench#sdk#${i}` }, expiresAt: { N: '4000000000' }, sealedToken: { B: sealed }, issuedTokenType: { S: issued.issuedTokenType }, tokenType: { S: 'Bearer' }, scope: { L: [{ S: 'orders:read' }] }, createdAt: { N: '1' } },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': { N: '1' } },
        }),
      );
    },
  });
  client.destroy();
  return {
    ...(micro as Omit<CachePhaseResult, 'tableHit' | 'tableHitCommands' | 'tableWrite' | 'sdkGetItem' | 'sdkPutItem'>),
    tableHit,
    tableHitCommands,
    tableWrite,
    sdkGetItem: sdk['sdkGetItem'],
    sdkPutItem: sdk['sdkPutItem'],
  };
}

async function loadHandler(config: Record<string, unknown>, variant: string): Promise<Handler> {
  process.env['GATEPASS_CONFIG'] = JSON.stringify(config);
  // A query string makes a new module instance: a new container with this configuration.
  const specifier = `../../functions/exchange/handler.js?container=${variant}`;
  return ((await import(specifier)) as { handler: Handler }).handler;
}

const lambdaContext = { getRemainingTimeInMillis: () => 29_000 };

async function handlerPhase(input: Extract<ExchangePathInput, { phase: 'handler' }>): Promise<HandlerPhaseResult> {
  const statuses = new Set<number>();
  const call = async (handler: Handler, token: string) => {
    const result = await handler(exchangeEventFor(token), lambdaContext);
    statuses.add(result.statusCode ?? 0);
    if (result.statusCode !== 200) throw new Error(`exchange handler answered ${result.statusCode}`);
  };
  const withMemory = await loadHandler(input.config, 'memory');
  const settings = (input.config['settings'] ?? {}) as Record<string, unknown>;
  const tableOnly = await loadHandler({ ...input.config, settings: { ...settings, cache: { memoryMaxEntries: 0 } } }, 'table-only');
  const [hotToken, ...missTokens] = input.tokens;
  await call(withMemory, hotToken!); // miss: exchange and table write
  await call(tableOnly, hotToken!); // table hit from now on
  Object.assign(process.env, input.anchorEnv);
  const minimalForwarder = ((await import('./anchors/minimal-forwarder.js')) as { handler: Handler }).handler;
  const minimalExchange = ((await import('./anchors/minimal-exchange.js')) as { handler: Handler }).handler;
  await call(minimalForwarder, hotToken!);
  const hits = await interleaved(input.hitPlan, {
    memoryHit: () => call(withMemory, hotToken!),
    tableHit: () => call(tableOnly, hotToken!),
    minimalForward: () => call(minimalForwarder, hotToken!),
  });
  const misses = await interleaved(input.missPlan, {
    miss: (i: number) => call(withMemory, missTokens[i]!),
    minimalMiss: (i: number) => call(minimalExchange, input.anchorTokens[i]!),
  });
  return { memoryHit: hits.memoryHit, tableHit: hits.tableHit, minimalForward: hits.minimalForward, miss: misses.miss, minimalMiss: misses.minimalMiss, statuses: [...statuses] };
}

async function concurrencyPhase(input: Extract<ExchangePathInput, { phase: 'concurrency' }>): Promise<ConcurrencyPhaseResult> {
  const handler = await loadHandler(input.config, 'concurrency');
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: input.requests }, () => handler(exchangeEventFor(input.token), lambdaContext)));
  return { requests: input.requests, statuses: [...new Set(results.map((r) => r.statusCode ?? 0))], wallMs: performance.now() - t0 };
}

childMain(async (input: ExchangePathInput) => {
  if (input.phase === 'cache') return cachePhase(input);
  if (input.phase === 'handler') return handlerPhase(input);
  return concurrencyPhase(input);
});
