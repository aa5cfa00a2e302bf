import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { powertoolsTelemetry } from '../../../functions/authorizer/authorizer-telemetry.js';
import { captureOutput, type CapturedOutput } from '../../support/captured-output.js';

let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

/** The EMF blobs written so far: the metric names and the one dimension set of each. */
function emfLines() {
  return output
    .records()
    .filter((record) => record['_aws'] !== undefined)
    .map((record) => {
      const directive = (record['_aws'] as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]!;
      return { record, dimensions: directive.Dimensions, names: directive.Metrics.map((m) => m.Name) };
    });
}

describe('powertoolsTelemetry', () => {
  it('emits one metric line per decision whose only dimensions are the service and that decision\'s own', () => {
    const telemetry = powertoolsTelemetry(new Logger({ serviceName: 'gatepass-authorizer' }), new Metrics({ namespace: 'gatepass', serviceName: 'gatepass-authorizer' }));
    telemetry.decision({ outcome: 'allow', status: 200, format: 'http-v2', action: 'exchange' });
    telemetry.decision({ outcome: 'token_expired', status: 401, format: 'http-v2' });
    telemetry.decision({ outcome: 'allow', status: 200, format: 'http-v2', action: 'passthrough' });
    telemetry.jwksFailed('https://idp.example/jwks', new Error('down'));

    const lines = emfLines();
    expect(lines.map((l) => l.names)).toEqual([['Allowed'], ['Denied'], ['Allowed'], ['JwksFetchFailed']]);
    expect(lines.map((l) => l.dimensions)).toEqual([[['service', 'action']], [['service', 'code']], [['service', 'action']], [['service']]]);
    expect(lines[0]!.record).toMatchObject({ service: 'gatepass-authorizer', action: 'exchange', Allowed: 1 });
    expect(lines[1]!.record).toMatchObject({ code: 'token_expired', Denied: 1 });
    expect(lines[1]!.record).not.toHaveProperty('action');
    expect(lines[2]!.record).toMatchObject({ action: 'passthrough', Allowed: 1 });
    expect(lines[2]!.record).not.toHaveProperty('code');
    expect(lines[3]!.record).not.toHaveProperty('action');
    expect(lines[3]!.record).not.toHaveProperty('code');
  });

  it('writes one decision log line per decision, allows at INFO and refusals at WARN', () => {
    const telemetry = powertoolsTelemetry(new Logger({ serviceName: 'gatepass-authorizer' }), new Metrics({ namespace: 'gatepass', serviceName: 'gatepass-authorizer' }));
    telemetry.decision({ outcome: 'allow', status: 200, format: 'rest-request', route: 'orders-read', action: 'passthrough', tokenId: 'a'.repeat(32), via: 'memo' });
    telemetry.decision({ outcome: 'insufficient_scope', status: 403, format: 'rest-request', route: 'orders-read', reason: 'a required scope is missing' });
    const decisions = output.records().filter((r) => r['message'] === 'authorizer.decision');
    expect(decisions).toEqual([
      expect.objectContaining({ level: 'INFO', outcome: 'allow', route: 'orders-read', via: 'memo', tokenId: 'a'.repeat(32) }),
      expect.objectContaining({ level: 'WARN', outcome: 'insufficient_scope', status: 403, reason: 'a required scope is missing' }),
    ]);
  });
});
