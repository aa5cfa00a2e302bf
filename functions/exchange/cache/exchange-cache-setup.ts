import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Settings } from '../../shared/config/config-schema.js';
import { CACHE_KEY_SECRET_ENV, CACHE_TABLE_ENV } from '../../shared/contracts/environment-variables.js';
import { CacheKeys } from './cache-key.js';
import { exchangeSecretBounds, type SecretReader } from '../../shared/secrets/secret-reader.js';
import { secretsManagerReader } from '../../shared/secrets/secrets-manager-reader.js';
import { fixedCacheKeySource, secretCacheKeySource, type CacheKeySource } from './cache-key-source.js';
import { createCacheTableClient, DynamoCacheTable } from './cache-table.js';
import { cacheReporter } from './cache-telemetry.js';
import { silentLog, silentMetrics, type LogSink, type MetricSink } from '../../shared/telemetry/telemetry-sinks.js';
import { ExchangeCache } from './exchange-cache.js';

export interface ExchangeCacheSetupOptions {
  /** The validated settings: `cache.*` and `exchange.refreshMarginSeconds` are read. */
  readonly settings: Settings;
  /** Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default silent. */
  readonly log?: LogSink;
  /** Default silent. */
  readonly metrics?: MetricSink;
  /** Epoch milliseconds; default Date.now. */
  readonly clock?: () => number;
  /** Default: createCacheTableClient(settings.cache), endpoint from the SDK's usual sources. */
  readonly dynamoClient?: DynamoDBClient;
  /** The exchange Lambda's one Secrets Manager reader; default: a reader of its own with exchangeSecretBounds(settings). */
  readonly readSecret?: SecretReader;
}

/**
 * Builds the cache from the environment, once per container.
 *
 * Built and `prepare`d at module scope (handler.ts); per request, ExchangeService calls
 * `getOrExchange`, `evict` when the upstream refused a cached token, and `flush` before it
 * returns (exchange-service.ts), so the table write never outlives the invocation.
 * The cache counts lookups (`CacheHit` by layer) itself; the handler only puts `layer` in
 * its audit line.
 * Reports its mode once through the sinks (a `cache.init` line):
 * - both variables set: memory and table; the key material is read from the secret at
 *   `prepare` and re-read after settings.exchange.secretMaxAgeSeconds (cache-key-source.ts);
 * - GATEPASS_CACHE_TABLE unset: memory only, keyed by a random per-container key (nothing
 *   outside this container reads these entries, so the secret is not needed);
 * - GATEPASS_CACHE_TABLE set without GATEPASS_CACHE_KEY_SECRET_ID: memory only with a random
 *   key, and a warning: without the shared key no other container could read the items, so
 *   the table is not used at all.
 */
export function createExchangeCache(options: ExchangeCacheSetupOptions): ExchangeCache {
  const env = options.env ?? process.env;
  const log = options.log ?? silentLog;
  const metrics = options.metrics ?? silentMetrics;
  const report = cacheReporter(log, metrics);
  const tableName = nonEmpty(env[CACHE_TABLE_ENV]);
  const secretId = nonEmpty(env[CACHE_KEY_SECRET_ENV]);
  const { memoryMaxEntries, tableTimeoutMs } = options.settings.cache;
  const base = {
    memoryMaxEntries,
    refreshMarginSeconds: options.settings.exchange.refreshMarginSeconds,
    log,
    metrics,
    ...(options.clock ? { clock: options.clock } : {}),
  };

  if (tableName === undefined || secretId === undefined) {
    const reason =
      tableName === undefined
        ? `${CACHE_TABLE_ENV} is not set`
        : `${CACHE_KEY_SECRET_ENV} is not set, so table items could not be shared: the table is not used`;
    report({ type: 'init', mode: 'memory-only', memoryMaxEntries, reason, warning: tableName !== undefined });
    return new ExchangeCache({ ...base, keys: fixedCacheKeySource(CacheKeys.random()) });
  }

  const keys: CacheKeySource = secretCacheKeySource(secretId, {
    readSecret: options.readSecret ?? secretsManagerReader(exchangeSecretBounds(options.settings)),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const client = options.dynamoClient ?? createCacheTableClient(options.settings.cache);
  report({ type: 'init', mode: 'memory-and-table', tableName, memoryMaxEntries });
  return new ExchangeCache({ ...base, keys, table: new DynamoCacheTable(client, tableName, tableTimeoutMs) });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
