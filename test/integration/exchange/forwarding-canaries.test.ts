import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionFields, ExchangeAudit } from '../../../functions/exchange/audit/exchange-audit.js';
import { ServiceName } from '../../../functions/shared/contracts/metric-names.js';
import { functionTelemetry } from '../../../functions/shared/telemetry/decision-line.js';
import { sensitiveValues } from '../../../functions/shared/telemetry/log-redaction.js';
import { parseProxyEvent, proxyEventVersion, type ProxyRequest } from '../../../functions/exchange/proxy/proxy-event.js';
import { errorCodeOf, problemResultForError, proxyResult, type ProxyResult } from '../../../functions/exchange/proxy/proxy-result.js';
import { RouteBinding } from '../../../functions/exchange/proxy/route-binding.js';
import { UpstreamForwarder } from '../../../functions/exchange/forwarding/upstream-forwarder.js';
import type { RouteConfig } from '../../../functions/shared/config/config-schema.js';
import { parseConfig } from '../../../functions/shared/config/config-validator.js';
import { errorCatalog } from '../../../functions/shared/errors.js';
import { captureOutput, type CapturedOutput } from '../../support/captured-output.js';
import { startEchoUpstream, type EchoUpstream } from '../../../fakes/echo-upstream.js';
import { contextOf, loadExchangeEvent, withBearerToken, type MutableEvent } from '../../support/exchange-events.js';
import { closedPort } from '../../support/stalled-listener.js';

/**
 * Canary tokens through every forwarding path (success and each refusal the forwarding
 * half produces), composed the way the handler composes these modules, with the real
 * Powertools logger and metrics. No output line may contain a canary in any encoding, and
 * the redaction net must not even have had to act: the code itself logs no credential.
 */

const CALLER = 'canary-caller-token-3f9a1c7e55d0';
const ISSUED = 'canary-issued-token-8b2e6d4a91f7';
const COOKIE = 'canary-session-cookie-2c4e6a8b';
const ACTOR = 'canary-actor-token-77aa11bb';

let upstream: EchoUpstream;
let forwarder: UpstreamForwarder;
let binding: RouteBinding;
let routes: Record<string, RouteConfig>;
let out: CapturedOutput;
const { log: exchangeLog, metrics: exchangeMetrics } = functionTelemetry(ServiceName.Exchange);
const exchangeAudit = new ExchangeAudit(exchangeLog, exchangeMetrics);

beforeAll(async () => {
  upstream = await startEchoUpstream({
    responder: (req, res) => {
      if (req.url?.includes('/orders/401')) {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
        res.end();
        return true;
      }
      if (req.url?.includes('/orders/slow')) return true;
      if (req.url?.includes('/orders/huge')) {
        res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
        res.end();
        return true;
      }
      return false;
    },
  });
  const config = parseConfig({
    version: 1,
    insecureLoopbackHttp: true,
    issuers: { partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks' } },
    authorizationServers: {
      corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId: 'gatepass/corp' },
    },
    routes: [
      {
        id: 'orders-read',
        method: 'GET',
        path: '/orders/{id}',
        upstream: upstream.url,
        acceptedIssuers: ['partner'],
        exchange: { authorizationServer: 'corp', scope: ['orders:read'], actor: { source: 'header', header: 'X-Actor-Token' }, owner: 'orders-team' },
      },
    ],
  });
  routes = Object.fromEntries(config.routes.map((r) => [r.id, r]));
  binding = new RouteBinding(config);
  forwarder = new UpstreamForwarder({ timeouts: { connectTimeoutMs: 200, timeoutMs: 300 }, log: exchangeLog, metrics: exchangeMetrics });
  sensitiveValues.clear();
  out = captureOutput();
});

afterAll(async () => {
  out.restore();
  forwarder.destroy();
  await upstream.close();
});

/** The handler's forwarding half: event in, proxy result out, one audit line. */
async function handle(event: MutableEvent, upstreamOverride?: string): Promise<ProxyResult> {
  const started = Date.now();
  const version = proxyEventVersion(event);
  let request: ProxyRequest | undefined;
  let route: RouteConfig | undefined;
  try {
    request = parseProxyEvent(event, { maxTokenLength: 8192, clockSkewSeconds: 30 });
    route = binding.routeOf(request);
    const target = upstreamOverride ? { ...route, upstream: upstreamOverride } : route;
    const response = await forwarder.forward(target, request, { bearerToken: request.authorizer.action === 'exchange' ? ISSUED : request.bearerToken });
    exchangeAudit.record({
      ...decisionFields(route, request.authorizer),
      outcome: 'ok',
      status: response.status,
      latencyMs: Date.now() - started,
      cacheLayer: 'miss',
      grantedScope: ['orders:read'],
      upstreamStatus: response.status,
      upstreamLatencyMs: response.latencyMs,
    });
    return proxyResult(version, response);
  } catch (error) {
    const code = errorCodeOf(error);
    if (errorCatalog[code].status >= 500) exchangeLog.warn('request failed', { code, error });
    exchangeAudit.record({ ...decisionFields(route, request?.authorizer), outcome: code, status: errorCatalog[code].status, latencyMs: Date.now() - started });
    return problemResultForError(version, error);
  }
}

function event(id: string): MutableEvent {
  const e = withBearerToken(loadExchangeEvent('rest-api-v1'), CALLER);
  e['pathParameters']['id'] = id;
  e['path'] = `/orders/${id}`;
  e['multiValueHeaders']['Cookie'] = [`session=${COOKIE}`];
  e['multiValueHeaders']['X-Actor-Token'] = [ACTOR];
  e['multiValueQueryStringParameters'] = { note: [CALLER] };
  return e;
}

describe('canary credentials on every forwarding path', () => {
  const statuses: Record<string, number> = {};

  beforeAll(async () => {
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const mismatch = event('1');
    mismatch['multiValueHeaders']['Authorization'] = [`Bearer ${CALLER}x`];
    const noContext = event('1');
    noContext['requestContext']['authorizer'] = null;
    const expired = event('1');
    contextOf(expired)['expiresAt'] = '1000';
    const traversal = event('..');
    const badHeader = event('1');
    badHeader['multiValueHeaders']['X-Bad'] = [`${CALLER}\r\ninjected: 1`];
    const cases: Record<string, Promise<ProxyResult>> = {
      ok: handle(event('42')),
      upstream401: handle(event('401')),
      tokenMismatch: handle(mismatch),
      missingContext: handle(noContext),
      expired: handle(expired),
      traversal: handle(traversal),
      invalidHeader: handle(badHeader),
      timeout: handle(event('slow')),
      refused: handle(event('1'), refused),
      tooLarge: handle(event('huge')),
    };
    for (const [name, result] of Object.entries(cases)) statuses[name] = (await result).statusCode ?? 0;
  });

  it('gives each path its documented status', () => {
    expect(statuses).toEqual({
      ok: 200,
      upstream401: 401,
      tokenMismatch: 401,
      missingContext: 500,
      expired: 401,
      traversal: 400,
      invalidHeader: 200,
      timeout: 504,
      refused: 502,
      tooLarge: 502,
    });
  });

  it('writes one audit line per request and warnings for the failures', () => {
    expect(out.records().filter((r) => r['message'] === 'exchange.decision')).toHaveLength(10);
    expect(out.records().filter((r) => r['message'] === 'upstream request failed')).toHaveLength(3);
    expect(out.records().find((r) => r['message'] === 'request headers with invalid characters not forwarded')).toMatchObject({ headers: ['x-bad'] });
  });

  it('never writes a canary, raw, base64, base64url or URL-encoded', () => {
    const text = out.text();
    for (const canary of [CALLER, ISSUED, COOKIE, ACTOR]) {
      for (const form of [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('base64url'), encodeURIComponent(canary)]) {
        expect(text).not.toContain(form);
      }
    }
  });

  it('never needed the redaction net to keep them out', () => {
    expect(out.text()).not.toContain('[redacted]');
  });

  it('sent the issued token upstream and none of the caller credentials', () => {
    const sent = upstream.requests.find((r) => r.path === '/orders/42')!;
    expect(sent.headers['authorization']).toEqual([`Bearer ${ISSUED}`]);
    expect(sent.headers['x-actor-token']).toBeUndefined();
    expect(JSON.stringify(sent.headers)).not.toContain(CALLER);
    expect(routes['orders-read']!.exchange?.actor).toEqual({ source: 'header', header: 'X-Actor-Token', enforceMayAct: false });
  });
});
