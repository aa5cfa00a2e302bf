import { describe, expect, it } from 'vitest';
import { CacheMetricName, cacheSinkFor, type CacheEvent } from '../../../../functions/exchange/cache/cache-telemetry.js';
import { MetricName } from '../../../../functions/shared/contracts/metric-names.js';

function recordingSink() {
  const lines: { level: string; message: string; fields: Readonly<Record<string, unknown>> }[] = [];
  const counts: { name: string; dimensions?: Readonly<Record<string, string>> }[] = [];
  const sink = cacheSinkFor(
    {
      info: (message, fields) => lines.push({ level: 'info', message, fields }),
      warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    },
    { count: (name, dimensions) => counts.push(dimensions ? { name, dimensions } : { name }) },
  );
  return { sink, lines, counts };
}

describe('cache sink for logs and metrics', () => {
  it('counts lookups as CacheHit by layer, and shared lookups once more', () => {
    const { sink, counts, lines } = recordingSink();
    sink.record({ type: 'lookup', layer: 'memory', shared: false });
    sink.record({ type: 'lookup', layer: 'miss', shared: true });
    expect(counts).toEqual([
      { name: MetricName.CacheHit, dimensions: { layer: 'memory' } },
      { name: MetricName.CacheHit, dimensions: { layer: 'miss' } },
      { name: CacheMetricName.SharedFlight },
    ]);
    expect(lines).toEqual([]);
  });

  it('warns and counts table errors, rejected items and an unreadable key secret', () => {
    const { sink, counts, lines } = recordingSink();
    const events: CacheEvent[] = [
      { type: 'table_error', operation: 'get', error: 'ThrottlingException', status: 400 },
      { type: 'item_rejected', reason: 'authentication_failed' },
      { type: 'item_rejected', reason: 'malformed' },
      { type: 'key_unavailable', error: 'CacheKeyUnavailableError' },
    ];
    for (const event of events) sink.record(event);
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'warn cache.table_error',
      'warn cache.item_rejected',
      'warn cache.item_rejected',
      'warn cache.key_unavailable',
    ]);
    expect(lines[0]!.fields).toMatchObject({ operation: 'get', error: 'ThrottlingException', status: 400 });
    expect(counts.map((c) => c.name)).toEqual([
      MetricName.CacheTableError,
      CacheMetricName.DecryptFailure,
      CacheMetricName.ItemMalformed,
      CacheMetricName.KeyUnavailable,
    ]);
  });

  it('logs the init line as info, or as a warning when the environment looks wrong', () => {
    const { sink, lines } = recordingSink();
    sink.record({ type: 'init', mode: 'memory-and-table', tableName: 'cache', memoryMaxEntries: 1000 });
    sink.record({ type: 'init', mode: 'memory-only', memoryMaxEntries: 1000, reason: 'no key secret', warning: true });
    expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual(['info cache.init', 'warn cache.init']);
  });

  it('only counts conflicts, skipped table calls, uncached tokens and evictions', () => {
    const { sink, counts, lines } = recordingSink();
    sink.record({ type: 'write_conflict' });
    sink.record({ type: 'table_skipped', operation: 'put' });
    sink.record({ type: 'not_cached' });
    sink.record({ type: 'evicted' });
    expect(counts.map((c) => c.name)).toEqual([
      CacheMetricName.WriteConflict,
      CacheMetricName.TableSkipped,
      CacheMetricName.NotCached,
      CacheMetricName.Evicted,
    ]);
    expect(lines).toEqual([]);
  });
});
