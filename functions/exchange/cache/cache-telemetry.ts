import { MetricDimension, MetricName } from '../../shared/contracts/metric-names.js';
import type { LogSink, MetricSink } from '../../shared/telemetry/telemetry-sinks.js';
import type { CacheLayer } from '../../shared/contracts/metric-names.js';
import type { TokenCipherFailure } from './token-cipher.js';

/**
 * What the exchange cache reports, and how each report becomes log lines and metrics on
 * the shared sinks (telemetry-sinks.ts). No event carries a token, a secret, the key
 * material or a `pk`.
 */
export type CacheEvent =
  | {
      /** Once, when the cache is built: which layers run and why. */
      readonly type: 'init';
      readonly mode: 'memory-and-table' | 'memory-only';
      readonly tableName?: string;
      readonly memoryMaxEntries: number;
      /** Why the table is not used, when it is not. */
      readonly reason?: string;
      /** Set when the environment looks like a mistake (a table without a key secret). */
      readonly warning?: boolean;
    }
  | {
      /** One lookup: the layer that answered. `shared`: this call waited for another call's lookup. */
      readonly type: 'lookup';
      readonly layer: CacheLayer;
      readonly shared: boolean;
    }
  | {
      /** A DynamoDB call failed; the request went on without the table. */
      readonly type: 'table_error';
      readonly operation: 'get' | 'put' | 'delete';
      readonly error: string;
      readonly status?: number;
    }
  | {
      /** A table call was skipped because the table failed moments ago (see tableCooldownMs). */
      readonly type: 'table_skipped';
      readonly operation: 'get' | 'put' | 'delete';
    }
  | {
      /** A table item that is not a usable entry: treated as a miss. */
      readonly type: 'item_rejected';
      readonly reason: 'malformed' | TokenCipherFailure;
    }
  | {
      /** The conditional put found a live entry written meanwhile (by another container); it was kept. */
      readonly type: 'write_conflict';
    }
  | {
      /** A fresh token that expires within the refresh margin: used once, not cached. */
      readonly type: 'not_cached';
    }
  | {
      /** The key secret could not be read right now: this request bypassed the cache. */
      readonly type: 'key_unavailable';
      readonly error: string;
    }
  | {
      /** An entry was evicted (the upstream refused the cached token). */
      readonly type: 'evicted';
    };

/**
 * Writes cache events to the sinks. Lookups count as `CacheHit` with the `layer` dimension
 * here, so the exchange service must not count them again (it still puts the layer in its
 * audit line). Warnings: table errors, rejected items, an unreadable key secret.
 */
export function cacheReporter(log: LogSink, metrics: MetricSink): (event: CacheEvent) => void {
  const count = (name: string): void => metrics.count(name);
  return (event) => {
    switch (event.type) {
      case 'init':
        if (event.warning) log.warn('cache.init', event);
        else log.info('cache.init', event);
        return;
      case 'lookup':
        metrics.count(MetricName.CacheHit, { [MetricDimension.Layer]: event.layer });
        if (event.shared) count(MetricName.CacheSharedFlight);
        return;
      case 'table_error':
        log.warn('cache.table_error', event);
        count(MetricName.CacheTableError);
        return;
      case 'table_skipped':
        count(MetricName.CacheTableSkipped);
        return;
      case 'item_rejected':
        log.warn('cache.item_rejected', event);
        count(event.reason === 'malformed' ? MetricName.CacheItemMalformed : MetricName.CacheDecryptFailure);
        return;
      case 'write_conflict':
        count(MetricName.CacheWriteConflict);
        return;
      case 'not_cached':
        count(MetricName.CacheNotCached);
        return;
      case 'key_unavailable':
        log.warn('cache.key_unavailable', event);
        count(MetricName.CacheKeyUnavailable);
        return;
      case 'evicted':
        count(MetricName.CacheEvicted);
        return;
    }
  };
}
