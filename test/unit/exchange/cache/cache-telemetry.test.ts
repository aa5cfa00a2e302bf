import { describe, expect, it } from 'vitest';
import { cacheReporter, type CacheEvent } from '../../../../functions/exchange/cache/cache-telemetry.js';
import { MetricName } from '../../../../functions/shared/contracts/metric-names.js';
import { RecordingSinks } from '../../../support/recording-sinks.js';

function recordingSink() {
  const sinks = new RecordingSinks();
  const report = cacheReporter(sinks.log, sinks.metrics);
  return { sink: { record: report }, lines: sinks.lines, counts: () => sinks.metricsWritten.map(({ name, dimensions }) => (dimensions ? { name, dimensions } : { name })) };
}

describe('cache reports as log lines and metrics', () => {
  it('counts lookups as CacheHit by layer, and shared lookups once more', () => {
    const { sink, counts, lines } = recordingSink();
    sink.record({ type: 'lookup', layer: 'memory', shared: false });
    sink.record({ type: 'lookup', layer: 'miss', shared: true });
    expect(counts()).toEqual([
      { name: MetricName.CacheHit, dimensions: { layer: 'memory' } },
      { name: MetricName.CacheHit, dimensions: { layer: 'miss' } },
      { name: MetricName.CacheSharedFlight },
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
    expect(counts().map((c) => c.name)).toEqual([
      MetricName.CacheTableError,
      MetricName.CacheDecryptFailure,
      MetricName.CacheItemMalformed,
      MetricName.CacheKeyUnavailable,
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
    expect(counts().map((c) => c.name)).toEqual([
      MetricName.CacheWriteConflict,
      MetricName.CacheTableSkipped,
      MetricName.CacheNotCached,
      MetricName.CacheEvicted,
    ]);
    expect(lines).toEqual([]);
  });
});
