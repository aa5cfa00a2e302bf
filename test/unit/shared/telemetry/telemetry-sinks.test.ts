import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decisionLineTelemetry, isoTimestampFormatter } from '../../../../functions/shared/telemetry/decision-line.js';
import { markSensitive } from '../../../../functions/shared/telemetry/log-redaction.js';
import { captureOutput, type CapturedOutput } from '../../../support/captured-output.js';

let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

type Directive = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };
const directivesOf = (record: Record<string, unknown>) => (record['_aws'] as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics;
const emf = () => output.records().filter((record) => record['_aws'] !== undefined);

function telemetry(serviceName = 'gatepass-exchange') {
  return decisionLineTelemetry({ logger: new Logger({ serviceName }), namespace: 'gatepass', serviceName, now: () => 1_800_000_000_000 });
}

// EMF: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
describe('decisionLineTelemetry', () => {
  it('writes the decision fields and the request\'s metrics as one EMF line, one directive per dimension set', () => {
    const { log, metrics } = telemetry();
    metrics.count('Exchanges');
    metrics.count('CacheHit', { layer: 'table' });
    metrics.timing('TokenEndpointLatency', 12);
    metrics.timing('TokenEndpointLatency', 30);
    metrics.count('ExchangeError', { code: 'exchange_denied' });
    log.decision('warn', 'exchange.decision', { outcome: 'exchange_denied', status: 403, route: 'orders-read', skipped: undefined });

    const records = output.records();
    expect(records).toHaveLength(1);
    const line = records[0]!;
    expect(line).toMatchObject({
      level: 'WARN',
      message: 'exchange.decision',
      service: 'gatepass-exchange',
      timestamp: new Date(1_800_000_000_000).toISOString(),
      outcome: 'exchange_denied',
      status: 403,
      route: 'orders-read',
      layer: 'table',
      code: 'exchange_denied',
      Exchanges: 1,
      CacheHit: 1,
      ExchangeError: 1,
      TokenEndpointLatency: [12, 30],
    });
    expect(line).not.toHaveProperty('skipped');
    expect((line['_aws'] as { Timestamp: number }).Timestamp).toBe(1_800_000_000_000);
    expect(directivesOf(line)).toEqual([
      { Namespace: 'gatepass', Dimensions: [['service']], Metrics: [{ Name: 'Exchanges', Unit: 'Count' }, { Name: 'TokenEndpointLatency', Unit: 'Milliseconds' }] },
      { Namespace: 'gatepass', Dimensions: [['service', 'layer']], Metrics: [{ Name: 'CacheHit', Unit: 'Count' }] },
      { Namespace: 'gatepass', Dimensions: [['service', 'code']], Metrics: [{ Name: 'ExchangeError', Unit: 'Count' }] },
    ]);
  });

  it('gives a metric whose dimension value clashes with a field of the line a line of its own', () => {
    const { log, metrics } = telemetry('gatepass-authorizer');
    metrics.count('Allowed', { action: 'unknown' });
    log.decision('info', 'authorizer.decision', { outcome: 'allow', action: 'passthrough' });
    const [decision, apart, ...rest] = output.records();
    expect(rest).toEqual([]);
    expect(decision).toMatchObject({ message: 'authorizer.decision', action: 'passthrough' });
    expect(decision).not.toHaveProperty('_aws');
    expect(apart).toMatchObject({ service: 'gatepass-authorizer', action: 'unknown', Allowed: 1 });
    expect(directivesOf(apart!)[0]!.Dimensions).toEqual([['service', 'action']]);
  });

  it('gives a name recorded under a second dimension set a line of its own, never an array counted under the first', () => {
    const { log, metrics } = telemetry();
    metrics.count('CacheHit', { layer: 'memory' });
    metrics.count('CacheHit');
    log.decision('info', 'exchange.decision', { outcome: 'forwarded' });
    const [decision, apart, ...rest] = output.records();
    expect(rest).toEqual([]);
    expect(decision).toMatchObject({ CacheHit: 1, layer: 'memory' });
    expect(directivesOf(decision!)[0]!.Dimensions).toEqual([['service', 'layer']]);
    expect(apart).toMatchObject({ service: 'gatepass-exchange', CacheHit: 1 });
    expect(apart).not.toHaveProperty('layer');
    expect(directivesOf(apart!)[0]!.Dimensions).toEqual([['service']]);
  });

  it('publishes metrics recorded outside a decision on flush, and writes nothing when nothing is recorded', () => {
    const { metrics } = telemetry('gatepass-authorizer');
    metrics.flush();
    expect(output.records()).toEqual([]);
    metrics.count('AuthorizerInternalError');
    metrics.flush();
    metrics.flush();
    const lines = emf();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: 'gatepass-authorizer', AuthorizerInternalError: 1 });
    expect(directivesOf(lines[0]!)[0]!.Dimensions).toEqual([['service']]);
  });

  it('writes the decision line at every log level, since it carries the metrics, and through the redaction net', () => {
    const logger = new Logger({ serviceName: 'gatepass-exchange', logLevel: 'ERROR' });
    const { log, metrics } = decisionLineTelemetry({ logger, namespace: 'gatepass', serviceName: 'gatepass-exchange' });
    const canary = 'canary-decision-secret-77f1';
    markSensitive(canary);
    log.info('operational', { detail: 'dropped at ERROR' });
    metrics.count('Exchanges');
    log.decision('info', 'exchange.decision', { outcome: 'ok', subject: canary, audience: ['orders', canary], authorization: 'Basic x', nested: { deeper: [canary] } });
    const records = output.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ level: 'INFO', message: 'exchange.decision', Exchanges: 1, authorization: '[redacted]', audience: ['orders', '[redacted]'] });
    expect(output.text()).not.toContain(canary);
  });

  it('formats timestamps exactly as Date.prototype.toISOString, within a second and across seconds', () => {
    const iso = isoTimestampFormatter();
    const base = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    for (const ms of [base, base + 5, base + 9, base + 10, base + 1010, base + 1999, base + 2000, 0, 999, 1000, 1_800_000_000_123, base - 86_400_000]) {
      expect(iso(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
