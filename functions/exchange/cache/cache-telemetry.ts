import { MetricDimension, MetricName } from '../../shared/contracts/metric-names.js';
import type { CacheLayer } from '../../shared/contracts/metric-names.js';
import type { TokenCipherFailure } from './token-cipher.js';

/**
 * What the exchange cache reports. The cache never logs or counts by itself: it hands these
 * events to a sink, so the handler decides where they go (Powertools Logger and Metrics in
 * Lambda, an array in tests). No event carries a token, a secret, the key material or a `pk`.
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

export interface CacheSink {
  record(event: CacheEvent): void;
}

export const silentCacheSink: CacheSink = { record: () => undefined };

/** Metric names of the cache beyond the shared list in functions/shared/metric-names.ts. */
export const CacheMetricName = {
  /** Calls that waited for another call's in-flight lookup (single flight). */
  SharedFlight: 'CacheSharedFlight',
  /** Table items that failed to decrypt or authenticate (tampered, moved, foreign key). */
  DecryptFailure: 'CacheDecryptFailure',
  /** Table items with missing or mistyped attributes. */
  ItemMalformed: 'CacheItemMalformed',
  WriteConflict: 'CacheWriteConflict',
  NotCached: 'CacheNotCached',
  TableSkipped: 'CacheTableSkipped',
  KeyUnavailable: 'CacheKeyUnavailable',
  Evicted: 'CacheEvicted',
} as const;

/** Where cacheSinkFor writes log lines. A Powertools `Logger` fits as it is. */
export interface CacheLog {
  info(message: string, fields: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields: Readonly<Record<string, unknown>>): void;
}

/**
 * Where cacheSinkFor counts. A count with dimensions must go out as its own EMF line (a
 * Powertools single metric), as functions/shared/metric-names.ts prescribes; telemetry.ts's
 * `powertoolsMetricSink` has this shape.
 */
export interface CacheMetrics {
  count(name: string, dimensions?: Readonly<Record<string, string>>): void;
}

/**
 * The sink the handler passes in Lambda. Lookups count as `CacheHit` with the `layer`
 * dimension here, so the handler must not count them again (it still puts the layer in its
 * audit line). Warnings: table errors, rejected items, an unreadable key secret.
 */
export function cacheSinkFor(log: CacheLog, metrics: CacheMetrics): CacheSink {
  const count = (name: string): void => metrics.count(name);
  return {
    record(event) {
      switch (event.type) {
        case 'init':
          (event.warning ? log.warn : log.info).call(log, 'cache.init', { ...event });
          return;
        case 'lookup':
          metrics.count(MetricName.CacheHit, { [MetricDimension.Layer]: event.layer });
          if (event.shared) count(CacheMetricName.SharedFlight);
          return;
        case 'table_error':
          log.warn('cache.table_error', { ...event });
          count(MetricName.CacheTableError);
          return;
        case 'table_skipped':
          count(CacheMetricName.TableSkipped);
          return;
        case 'item_rejected':
          log.warn('cache.item_rejected', { ...event });
          count(event.reason === 'malformed' ? CacheMetricName.ItemMalformed : CacheMetricName.DecryptFailure);
          return;
        case 'write_conflict':
          count(CacheMetricName.WriteConflict);
          return;
        case 'not_cached':
          count(CacheMetricName.NotCached);
          return;
        case 'key_unavailable':
          log.warn('cache.key_unavailable', { ...event });
          count(CacheMetricName.KeyUnavailable);
          return;
        case 'evicted':
          count(CacheMetricName.Evicted);
          return;
      }
    },
  };
}
