import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validationTelemetry } from '../../../functions/shared/token-validation/validation-telemetry.js';
import { AuthorizerAudit } from '../../../functions/authorizer/authorizer-audit.js';
import { ServiceName } from '../../../functions/shared/contracts/metric-names.js';
import { functionTelemetry } from '../../../functions/shared/telemetry/decision-line.js';
import { captureOutput, type CapturedOutput } from '../../support/captured-output.js';

let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

/** The lines with an EMF block written so far: per directive, its metric names and its one dimension set. */
function emfLines() {
  return output
    .records()
    .filter((record) => record['_aws'] !== undefined)
    .map((record) => {
      const directives = (record['_aws'] as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
      return { record, dimensions: directives.map((d) => d.Dimensions), names: directives.map((d) => d.Metrics.map((m) => m.Name)) };
    });
}

function powertoolsAudit(): AuthorizerAudit & { jwksFailed: (uri: string, error: Error) => void } {
  const { log, metrics } = functionTelemetry(ServiceName.Authorizer);
  const { jwksObserver } = validationTelemetry(log, metrics);
  return Object.assign(new AuthorizerAudit(log, metrics), { jwksFailed: jwksObserver.failed });
}

describe('AuthorizerAudit on the Powertools sinks', () => {
  it('writes one line per decision: the decision fields and its metrics, whose only dimensions are the service and that decision\'s own', () => {
    const audit = powertoolsAudit();
    // A dependency failure is recorded and published in the request's decision line.
    audit.jwksFailed('https://idp.example/jwks', new Error('down'));
    expect(emfLines()).toEqual([]);
    audit.decision({ outcome: 'token_invalid', status: 403, format: 'http-v2' });
    audit.decision({ outcome: 'allow', status: 200, format: 'http-v2', action: 'exchange' });
    audit.decision({ outcome: 'token_expired', status: 401, format: 'rest-request' });
    audit.decision({ outcome: 'allow', status: 200, format: 'http-v2', action: 'passthrough' });

    const lines = emfLines();
    expect(output.records()).toHaveLength(lines.length + 1); // + jwks.fetch_failed, an operational line
    expect(lines.every((l) => l.record['message'] === 'authorizer.decision')).toBe(true);
    expect(lines.map((l) => l.names)).toEqual([[['JwksFetchFailed'], ['Denied']], [['Allowed']], [['Denied']], [['Allowed']]]);
    expect(lines.map((l) => l.dimensions)).toEqual([[[['service']], [['service', 'code']]], [[['service', 'action']]], [[['service', 'code']]], [[['service', 'action']]]]);
    expect(lines[0]!.record).toMatchObject({ service: 'gatepass-authorizer', outcome: 'token_invalid', code: 'token_invalid', JwksFetchFailed: 1, Denied: 1 });
    expect(lines[1]!.record).toMatchObject({ service: 'gatepass-authorizer', outcome: 'allow', action: 'exchange', Allowed: 1 });
    expect(lines[1]!.record).not.toHaveProperty('code');
    expect(lines[1]!.record).not.toHaveProperty('JwksFetchFailed');
    expect(lines[2]!.record).toMatchObject({ code: 'token_expired', Denied: 1 });
    expect(lines[2]!.record).not.toHaveProperty('action');
    expect(lines[3]!.record).toMatchObject({ action: 'passthrough', Allowed: 1 });
    expect(lines[3]!.record).not.toHaveProperty('code');
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
