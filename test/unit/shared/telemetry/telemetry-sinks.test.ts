import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { powertoolsMetricSink } from '../../../../functions/shared/telemetry/telemetry-sinks.js';
import { captureOutput, type CapturedOutput } from '../../../support/captured-output.js';

let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

const emf = () =>
  output
    .records()
    .filter((record) => record['_aws'] !== undefined)
    .map((record) => ({ record, dimensions: (record['_aws'] as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!.Dimensions }));

describe('powertoolsMetricSink', () => {
  it('emits each dimensioned count at once on its own line, with only the service and its own dimensions', () => {
    const metrics = new Metrics({ namespace: 'gatepass', serviceName: 'gatepass-exchange' });
    const sink = powertoolsMetricSink(metrics);
    sink.count('CacheHit', { layer: 'memory' });
    sink.count('ExchangeError', { code: 'exchange_denied' });
    sink.count('CacheHit', { layer: 'table' });
    const lines = emf();
    expect(lines.map((l) => l.dimensions)).toEqual([[['service', 'layer']], [['service', 'code']], [['service', 'layer']]]);
    expect(lines[0]!.record).toMatchObject({ service: 'gatepass-exchange', layer: 'memory', CacheHit: 1 });
    expect(lines[1]!.record).toMatchObject({ code: 'exchange_denied', ExchangeError: 1 });
    expect(lines[1]!.record).not.toHaveProperty('layer');
    expect(lines[2]!.record).toMatchObject({ layer: 'table', CacheHit: 1 });
    expect(lines[2]!.record).not.toHaveProperty('code');
  });

  it('stores counts and timings without dimensions until the request publishes them, and never stores dimensioned ones', () => {
    const metrics = new Metrics({ namespace: 'gatepass', serviceName: 'gatepass-exchange' });
    const sink = powertoolsMetricSink(metrics);
    sink.count('Exchanges');
    sink.count('CacheHit', { layer: 'miss' });
    sink.timing('UpstreamLatency', 12);
    sink.count('Exchanges', {});
    expect(emf()).toHaveLength(1);
    metrics.publishStoredMetrics();
    const lines = emf();
    expect(lines).toHaveLength(2);
    expect(lines[1]!.dimensions).toEqual([['service']]);
    expect(lines[1]!.record).toMatchObject({ Exchanges: [1, 1], UpstreamLatency: 12 });
    expect(lines[1]!.record).not.toHaveProperty('CacheHit');
  });

  it('publishes the stored metrics on flush, and writes nothing when nothing is stored', () => {
    const metrics = new Metrics({ namespace: 'gatepass', serviceName: 'gatepass-authorizer' });
    const sink = powertoolsMetricSink(metrics);
    sink.flush();
    expect(output.records()).toEqual([]);
    sink.count('JwksFetchFailed');
    sink.flush();
    const lines = emf();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.dimensions).toEqual([['service']]);
    expect(lines[0]!.record).toMatchObject({ service: 'gatepass-authorizer', JwksFetchFailed: 1 });
    sink.flush();
    expect(emf()).toHaveLength(1);
  });
});
