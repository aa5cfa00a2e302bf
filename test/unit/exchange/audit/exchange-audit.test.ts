import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decisionFields, ExchangeAudit } from '../../../../functions/exchange/audit/exchange-audit.js';
import { ServiceName } from '../../../../functions/shared/contracts/metric-names.js';
import { functionTelemetry } from '../../../../functions/shared/telemetry/decision-line.js';
import { markSensitive } from '../../../../functions/shared/telemetry/log-redaction.js';
import type { RouteConfig } from '../../../../functions/shared/config/config-schema.js';
import { captureOutput, type CapturedOutput } from '../../../support/captured-output.js';

const route = {
  id: 'orders-read',
  method: 'GET',
  path: '/orders/{id}',
  upstream: 'https://orders.internal.example',
  acceptedIssuers: ['partner'],
  requiredScopes: ['orders:read'],
  exchange: {
    authorizationServer: 'corp',
    audience: ['orders-service'],
    resource: ['https://orders.internal.example'],
    scope: ['orders:read'],
    requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    actor: { source: 'none' },
    flow: 'federation',
    owner: 'orders-team',
    justification: 'partner order lookups',
  },
} as RouteConfig;

const context = {
  route: 'orders-read',
  action: 'exchange',
  issuer: 'partner',
  subject: 'user-7f3a',
  clientId: 'partner-portal',
  scope: ['orders:read', 'profile'],
  expiresAt: 4102444800,
  tokenId: 'a29946881530f57bc0dc587c8acb4fff',
} as const;

type Emf = { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } } & Record<string, unknown>;

// Wired as functions/exchange/handler.ts wires them.
const { logger, log: exchangeLog, metrics: exchangeMetrics } = functionTelemetry(ServiceName.Exchange);
const exchangeAudit = new ExchangeAudit(exchangeLog, exchangeMetrics);

let out: CapturedOutput;
beforeEach(() => {
  out = captureOutput();
});
afterEach(() => out.restore());

const emfLines = () => out.records().filter((r): r is Emf => '_aws' in r);
const auditLines = () => out.records().filter((r) => r['message'] === 'exchange.decision');

describe('the exchange.decision audit line', () => {
  it('carries who, which route and trust path, the cache layer, the outcome and the latency', () => {
    exchangeAudit.record({
      ...decisionFields(route, context),
      outcome: 'ok',
      status: 200,
      latencyMs: 12.6,
      requestId: 'req-1',
      method: 'GET',
      grantedScope: ['orders:read'],
      cacheLayer: 'table',
      upstreamStatus: 200,
      upstreamLatencyMs: 7.2,
    });
    const [line, ...others] = auditLines();
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      level: 'INFO',
      service: 'gatepass-exchange',
      event: 'exchange.decision',
      route: 'orders-read',
      action: 'exchange',
      issuer: 'partner',
      subject: 'user-7f3a',
      clientId: 'partner-portal',
      tokenId: 'a29946881530f57bc0dc587c8acb4fff',
      authorizationServer: 'corp',
      audience: ['orders-service'],
      resource: ['https://orders.internal.example'],
      requestedScope: 'orders:read',
      grantedScope: 'orders:read',
      cacheLayer: 'table',
      outcome: 'ok',
      status: 200,
      latencyMs: 13,
      upstreamStatus: 200,
      upstreamLatencyMs: 7,
      flow: 'federation',
      owner: 'orders-team',
      justification: 'partner order lookups',
      requestId: 'req-1',
      method: 'GET',
    });
  });

  it('says which narrowing limit applied, what was ignored, how the issued token was checked, and what a provider said', () => {
    exchangeAudit.record({
      ...decisionFields(route, context),
      outcome: 'exchange_denied',
      status: 403,
      latencyMs: 3,
      narrowingFlow: 'delegation',
      identityScopesIgnored: ['email', 'profile'],
      defaultScopeResources: ['api://orders'],
      issuedTokenVerified: 'keys-unknown',
      providerRefusal: { error: 'invalid_grant', suberror: 'consent_required', providerCode: 'AADSTS65001', traceId: '2f1c1b1e-0f1a-4c8e-9a43-3b4a5c6d7e80', correlationId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' },
    });
    expect(auditLines()[0]).toMatchObject({
      narrowingFlow: 'delegation',
      identityScopesIgnored: 'email profile',
      defaultScopeResources: ['api://orders'],
      issuedTokenVerified: 'keys-unknown',
      providerError: 'invalid_grant',
      providerSuberror: 'consent_required',
      providerErrorCode: 'AADSTS65001',
      providerTraceId: '2f1c1b1e-0f1a-4c8e-9a43-3b4a5c6d7e80',
      providerCorrelationId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    });
  });

  it('leaves out what the route does not ask for on a passthrough', () => {
    exchangeAudit.record({ ...decisionFields(route, { ...context, action: 'passthrough' }), outcome: 'ok', status: 204, latencyMs: 3 });
    const [line] = auditLines();
    expect(line).toMatchObject({ route: 'orders-read', action: 'passthrough', outcome: 'ok' });
    for (const key of ['authorizationServer', 'audience', 'requestedScope', 'cacheLayer', 'flow', 'owner', 'justification']) expect(line).not.toHaveProperty(key);
  });

  it('records a refusal before any route is known, with its code', () => {
    exchangeAudit.record({ ...decisionFields(undefined, undefined), outcome: 'gateway_misconfigured', status: 500, latencyMs: 1 });
    const [line] = auditLines();
    expect(line).toMatchObject({ level: 'ERROR', outcome: 'gateway_misconfigured', status: 500 });
    expect(line).not.toHaveProperty('route');
  });

  it('is a warning for upstream failures and routine for client refusals', () => {
    exchangeAudit.record({ ...decisionFields(route, context), outcome: 'upstream_timeout', status: 504, latencyMs: 1 });
    exchangeAudit.record({ ...decisionFields(route, context), outcome: 'token_invalid', status: 401, latencyMs: 1 });
    expect(auditLines().map((l) => l['level'])).toEqual(['WARN', 'INFO']);
  });
});

describe('EMF metrics', () => {
  it('count every request in namespace gatepass with the service dimension, in the audit line', () => {
    exchangeAudit.record({ ...decisionFields(route, context), outcome: 'ok', status: 200, latencyMs: 5 });
    const [emf, ...rest] = emfLines();
    expect(rest).toEqual([]);
    expect(out.records()).toHaveLength(1);
    expect(emf!['message']).toBe('exchange.decision');
    const directive = emf!._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe('gatepass');
    expect(directive.Dimensions).toEqual([['service']]);
    expect(directive.Metrics).toContainEqual({ Name: 'Exchanges', Unit: 'Count' });
    expect(emf!['service']).toBe('gatepass-exchange');
    expect(emf!['Exchanges']).toBe(1);
  });

  it('count errors by code in a directive of their own, in the same line', () => {
    exchangeAudit.record({ ...decisionFields(route, context), outcome: 'exchange_denied', status: 403, latencyMs: 5 });
    const [line, ...rest] = emfLines();
    expect(rest).toEqual([]);
    const byCode = line!._aws.CloudWatchMetrics.find((d) => d.Metrics.some((m) => m.Name === 'ExchangeError'));
    expect(byCode!.Dimensions).toEqual([['service', 'code']]);
    expect(byCode!.Metrics).toEqual([{ Name: 'ExchangeError', Unit: 'Count' }]);
    expect(line).toMatchObject({ message: 'exchange.decision', outcome: 'exchange_denied', code: 'exchange_denied', ExchangeError: 1, Exchanges: 1 });
  });

  it('publish what the other parts stored during the request with the audit line', () => {
    exchangeMetrics.timing('TokenEndpointLatency', 42);
    exchangeMetrics.count('CacheHit', { layer: 'memory' });
    exchangeAudit.record({ ...decisionFields(route, context), outcome: 'ok', status: 200, latencyMs: 50, cacheLayer: 'memory' });
    const [line, ...rest] = emfLines();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ message: 'exchange.decision', cacheLayer: 'memory', layer: 'memory', CacheHit: 1, TokenEndpointLatency: 42 });
    const hit = line!._aws.CloudWatchMetrics.find((d) => d.Metrics.some((m) => m.Name === 'CacheHit'));
    expect(hit!.Dimensions).toEqual([['service', 'layer']]);
    const plain = line!._aws.CloudWatchMetrics.find((d) => d.Metrics.some((m) => m.Name === 'TokenEndpointLatency'));
    expect(plain!.Dimensions).toEqual([['service']]);
  });

  it('stay silent when there is nothing to publish', () => {
    exchangeMetrics.flush();
    expect(out.lines()).toEqual([]);
  });
});

describe('the redaction safety net on the handler’s logger', () => {
  it('keeps canary tokens and secrets out of every line, in raw, base64 and URL-encoded form', () => {
    const canaryToken = 'canary-subject-token-5c1d8f0e';
    const canaryJwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjYW5hcnktand0LWMxIn0.Y2FuYXJ5LXNpZ25hdHVyZQ';
    const canarySecret = 'canary-client-secret-9a7b';
    markSensitive(canaryToken, canarySecret);

    exchangeLog.warn('upstream said no', {
      detail: `sent Bearer ${canaryToken} to the upstream`,
      body: `grant_type=x&subject_token=${encodeURIComponent(canaryToken)}&client_secret=${canarySecret}`,
      basic: Buffer.from(`client:${canarySecret}`).toString('base64'),
      authorization: `Bearer ${canaryJwt}`,
      echoed: { token: canaryJwt, nested: [`x ${canaryJwt} y`] },
      error: new Error(`token ${canaryToken} refused (${Buffer.from(canaryToken).toString('base64')})`),
    });
    logger.error(`raw message with ${canaryJwt}`);
    exchangeAudit.record({ ...decisionFields(route, { ...context, subject: canaryToken }), outcome: 'token_invalid', status: 401, latencyMs: 1 });

    const text = out.text();
    expect(out.lines().length).toBeGreaterThanOrEqual(3);
    for (const canary of [canaryToken, canaryJwt, canarySecret]) {
      for (const form of [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('base64url'), encodeURIComponent(canary)]) {
        expect(text).not.toContain(form);
      }
    }
    expect(text).toContain('[redacted]');
    expect(text).toContain('upstream said no');
  });
});
