import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizerAudit } from '../../../functions/authorizer/authorizer-audit.js';
import { ServiceName } from '../../../functions/shared/contracts/metric-names.js';
import { powertoolsSinks } from '../../support/powertools-sinks.js';
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

function powertoolsAudit(): AuthorizerAudit {
  const { log, metricSink } = powertoolsSinks(ServiceName.Authorizer);
  return new AuthorizerAudit(log, metricSink);
}

describe('AuthorizerAudit on the Powertools sinks', () => {
  it('emits one metric line per decision whose only dimensions are the service and that decision\'s own', () => {
    const audit = powertoolsAudit();
    // A dependency failure is stored and published with the request's decision.
    audit.jwksFailed('https://idp.example/jwks', new Error('down'));
    expect(emfLines()).toEqual([]);
    audit.decision({ outcome: 'token_invalid', status: 403, format: 'http-v2' });
    audit.decision({ outcome: 'allow', status: 200, format: 'http-v2', action: 'exchange' });
    audit.decision({ outcome: 'token_expired', status: 401, format: 'rest-request' });
    audit.decision({ outcome: 'allow', status: 200, format: 'http-v2', action: 'passthrough' });

    const lines = emfLines();
    expect(lines.map((l) => l.names)).toEqual([['Denied'], ['JwksFetchFailed'], ['Allowed'], ['Denied'], ['Allowed']]);
    expect(lines.map((l) => l.dimensions)).toEqual([[['service', 'code']], [['service']], [['service', 'action']], [['service', 'code']], [['service', 'action']]]);
    expect(lines[1]!.record).toMatchObject({ service: 'gatepass-authorizer', JwksFetchFailed: 1 });
    expect(lines[1]!.record).not.toHaveProperty('code');
    expect(lines[2]!.record).toMatchObject({ service: 'gatepass-authorizer', action: 'exchange', Allowed: 1 });
    expect(lines[3]!.record).toMatchObject({ code: 'token_expired', Denied: 1 });
    expect(lines[3]!.record).not.toHaveProperty('action');
    expect(lines[4]!.record).toMatchObject({ action: 'passthrough', Allowed: 1 });
    expect(lines[4]!.record).not.toHaveProperty('code');
  });

  it('writes one decision log line per decision, allows at INFO and refusals at WARN', () => {
    const audit = powertoolsAudit();
    audit.decision({ outcome: 'allow', status: 200, format: 'rest-request', route: 'orders-read', action: 'passthrough', tokenId: 'a'.repeat(32), via: 'memo' });
    audit.decision({ outcome: 'insufficient_scope', status: 403, format: 'rest-request', route: 'orders-read', reason: 'a required scope is missing' });
    const decisions = output.records().filter((r) => r['message'] === 'authorizer.decision');
    expect(decisions).toEqual([
      expect.objectContaining({ level: 'INFO', outcome: 'allow', route: 'orders-read', via: 'memo', tokenId: 'a'.repeat(32) }),
      expect.objectContaining({ level: 'WARN', outcome: 'insufficient_scope', status: 403, reason: 'a required scope is missing' }),
    ]);
  });
});
