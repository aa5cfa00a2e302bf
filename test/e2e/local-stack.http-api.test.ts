import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenIdOf } from '../../functions/shared/token-id.js';
import { JWT_BEARER_GRANT_TYPE } from '../../fakes/entra-server.js';
import { DEMO } from '../../scripts/local/demo-config.js';
import { isAlive, startTestStack, upstreamToken, type TestStack } from '../support/local-stack-harness.js';

/**
 * The whole flow over HTTP, HTTP API flavour (payload 2.0 events, simple-response
 * authorizer): the local gateway in front of the real authorizer and exchange functions,
 * bundled as deployed and run in their own processes, with oidc-provider, dynalite and
 * the loopback Secrets Manager behind them.
 */

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ flavour: 'http', authorizerCacheTtlSeconds: 60 });
});

afterAll(async () => {
  await stack?.stop();
});

describe('local stack, HTTP API', () => {
  it('exchanges a partner token for a corporate token scoped to the route', async () => {
    const token = await stack.token('--scope', 'orders:read');
    const answer = await stack.call('/orders/42?expand=items', { token });
    expect(answer.status).toBe(200);
    expect(answer.upstream?.path).toBe('/orders-service/orders/42');
    expect(answer.upstream?.query).toBe('expand=items');
    expect(answer.upstream?.claims).toMatchObject({ iss: stack.urls.corp, aud: DEMO.ordersAudience, scope: 'orders:read', sub: DEMO.partnerClientId, client_id: DEMO.gatewayClientId });
    expect(upstreamToken(answer.upstream)).not.toBe(token);
    expect(JSON.parse(answer.text)).toMatchObject({ token: { tokenId: tokenIdOf(upstreamToken(answer.upstream)!) } });
    expect(await stack.decisionFor(token)).toMatchObject({ outcome: 'ok', route: 'orders-read', action: 'exchange', issuer: 'partner', cacheLayer: 'miss', flow: 'federation' });
  });

  it('downscopes a corporate admin token to the scope the route needs', async () => {
    const token = await stack.token('--issuer', 'corp', '--scope', 'orders:read orders:admin');
    const answer = await stack.call('/orders/42', { token });
    expect(answer.status).toBe(200);
    expect(answer.upstream?.claims).toMatchObject({ iss: stack.urls.corp, aud: DEMO.ordersAudience, scope: 'orders:read', sub: DEMO.corpClientId });
    expect(await stack.decisionFor(token)).toMatchObject({ action: 'exchange', issuer: 'corp' });
  });

  it('passes a corporate token without orders:admin through unchanged', async () => {
    const token = await stack.token('--issuer', 'corp', '--scope', 'orders:read');
    const exchanges = stack.exchanges();
    const answer = await stack.call('/orders/42', { token });
    expect(answer.status).toBe(200);
    expect(upstreamToken(answer.upstream)).toBe(token);
    expect(stack.exchanges()).toBe(exchanges);
    expect(await stack.decisionFor(token)).toMatchObject({ action: 'passthrough' });
  });

  it('names the gateway as actor on a delegation route (act)', async () => {
    const token = await stack.token('--scope', 'orders:read');
    const answer = await stack.call('/delegated/orders/7', { token });
    expect(answer.status).toBe(200);
    expect(answer.upstream?.claims).toMatchObject({ iss: stack.urls.corp, scope: 'orders:read', act: { sub: DEMO.gatewayClientId, iss: stack.urls.corp } });
    expect(await stack.decisionFor(token)).toMatchObject({ flow: 'delegation' });
  });

  it('names the caller-supplied actor from the actor header (act)', async () => {
    const token = await stack.token('--scope', 'orders:read');
    const actor = await stack.token('--issuer', 'corp', '--scope', 'orders:read');
    const answer = await stack.call('/on-behalf/orders/7', { token, headers: { [DEMO.actorHeader]: `Bearer ${actor}` } });
    expect(answer.status).toBe(200);
    expect(answer.upstream?.claims).toMatchObject({ sub: DEMO.partnerClientId, act: { sub: DEMO.corpClientId, iss: stack.urls.corp } });
    expect(answer.upstream?.headers[DEMO.actorHeader]).toBeUndefined();
  });

  it('introspects an opaque legacy token and forwards a binary body byte for byte', async () => {
    const token = await stack.token('--issuer', 'legacy', '--scope', 'reports');
    const body = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x67]);
    const answer = await stack.call('/reports/2026/q3?lang=en&lang=de', { token, method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(answer.status).toBe(200);
    expect(upstreamToken(answer.upstream)).toBe(token);
    expect(answer.upstream?.path).toBe('/reports-service/reports/2026/q3');
    expect(answer.upstream?.query).toBe('lang=en&lang=de');
    expect(Buffer.from(answer.upstream!.bodyBase64, 'base64')).toEqual(body);
    expect(await stack.authorizerDecisionFor(token)).toMatchObject({ outcome: 'allow', via: 'introspection', issuer: 'legacy' });
  });

  it("redeems an Entra-style user token On-Behalf-Of (jwt-bearer): the upstream gets the tenant's token for the orders API, never the caller's", async () => {
    const token = await stack.token('--issuer', 'entra', '--scope', DEMO.entra.callerScope);
    const answer = await stack.call('/entra/orders/42', { token });
    expect(answer.status).toBe(200);
    const upstream = upstreamToken(answer.upstream);
    expect(upstream).toBeDefined();
    expect(upstream).not.toBe(token);
    // Signed by the tenant, for the orders API's client id, with the short scp (fakes/entra-server.ts cites Microsoft's documentation).
    expect(await stack.entra.verify(upstream!)).toMatchObject({
      iss: stack.urls.entra,
      aud: DEMO.entra.ordersAppId,
      scp: 'Orders.Read',
      azp: DEMO.entra.gatewayAppId,
      oid: DEMO.entra.user.oid,
      ver: '2.0',
    });
    const request = stack.entra.tokenRequests.at(-1)!;
    expect(request).toMatchObject({
      grantType: JWT_BEARER_GRANT_TYPE,
      clientId: DEMO.entra.gatewayAppId,
      clientAuth: 'client_secret_post',
      requestedTokenUse: 'on_behalf_of',
      scope: `${DEMO.entra.ordersAppIdUri}/Orders.Read`,
      outcome: 'success',
    });
    // The OBO request as Microsoft documents it: no RFC 8693 parameter rides along.
    expect(request.parameterNames).toEqual(['assertion', 'client_id', 'client_secret', 'grant_type', 'requested_token_use', 'scope']);
    // The issued token's signature was checked with the tenant's keys before its scp was trusted.
    expect(await stack.decisionFor(token)).toMatchObject({
      outcome: 'ok',
      route: 'entra-orders',
      action: 'exchange',
      issuer: 'entra',
      flow: 'delegation',
      grantedScope: `${DEMO.entra.ordersAppIdUri}/Orders.Read`,
      issuedTokenVerified: 'signature',
    });
  });

  it('answers 403 exchange_denied when the tenant refuses On-Behalf-Of for want of consent (AADSTS65001), its trace id in the log line', async () => {
    const token = await stack.token('--issuer', 'entra', '--scope', DEMO.entra.callerScope);
    const answer = await stack.call('/entra/orders/42/audit', { token });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 'exchange_denied', status: 403 });
    expect(answer.upstream).toBeUndefined();
    const refused = stack.entra.tokenRequests.at(-1)!;
    expect(refused).toMatchObject({ outcome: 'invalid_grant', errorCodes: [65001] });
    expect(await stack.decisionFor(token)).toMatchObject({
      outcome: 'exchange_denied',
      route: 'entra-orders-audit',
      providerError: 'invalid_grant',
      providerSuberror: 'consent_required',
      providerErrorCode: 'AADSTS65001',
      providerTraceId: refused.traceId,
    });
    expect(answer.text).not.toContain(refused.traceId);
  });

  it('answers 403 for a valid token that lacks the route scope, without calling the upstream', async () => {
    const token = await stack.token('--scope', 'orders:read');
    const answer = await stack.call('/orders', { token, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toEqual({ message: 'Forbidden' });
    expect(answer.upstream).toBeUndefined();
    expect(await stack.authorizerDecisionFor(token)).toMatchObject({ outcome: 'insufficient_scope', route: 'orders-create' });
  });

  it('answers 403 for an expired token: a simple-response HTTP API authorizer can only say 403', async () => {
    const token = await stack.token('--scope', 'orders:read', '--expired');
    const answer = await stack.call('/orders/42', { token });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toEqual({ message: 'Forbidden' });
    // The decision line logs the status the caller got, beside the code.
    expect(await stack.authorizerDecisionFor(token)).toMatchObject({ outcome: 'token_expired', status: 403 });
  });

  it('answers 401 without invoking the authorizer when the Authorization header is missing or empty', async () => {
    const invocations = stack.functions.authorizer.invocations;
    for (const headers of [{}, { authorization: '' }] as Record<string, string>[]) {
      const answer = await stack.call('/orders/42', { headers });
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text)).toEqual({ message: 'Unauthorized' });
    }
    expect(stack.functions.authorizer.invocations).toBe(invocations);
  });

  it('answers 404 Not Found for a method and path no route matches', async () => {
    const token = await stack.token('--scope', 'orders:read');
    for (const [method, path] of [['GET', '/nothing/here'], ['DELETE', '/orders/42']] as const) {
      const answer = await stack.call(path, { token, method });
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.text)).toEqual({ message: 'Not Found' });
    }
  });

  it('answers a repeated request from memory, and after an exchange container restart from the table', async () => {
    const token = await stack.token('--scope', 'orders:read');
    await stack.call('/orders/1', { token });
    expect(await stack.decisionFor(token, 1)).toMatchObject({ cacheLayer: 'miss' });
    const exchanges = stack.exchanges();

    expect((await stack.call('/orders/1', { token })).status).toBe(200);
    expect(await stack.decisionFor(token, 2)).toMatchObject({ cacheLayer: 'memory' });

    const [before] = stack.functions.exchange.pids();
    await stack.functions.exchange.restart();
    const again = await stack.call('/orders/1', { token });
    expect(again.status).toBe(200);
    expect(await stack.decisionFor(token, 3)).toMatchObject({ cacheLayer: 'table' });
    expect(stack.functions.exchange.pids()).not.toContain(before);
    expect(isAlive(before!)).toBe(false);
    expect(stack.exchanges()).toBe(exchanges);
  });

  it('answers 503 with Retry-After while the token endpoint is down, and 200 once it is back', async () => {
    const token = await stack.token('--scope', 'orders:read');
    stack.tokenRelay.down();
    try {
      const answer = await stack.call('/orders/5', { token });
      expect(answer.status).toBe(503);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(JSON.parse(answer.text)).toMatchObject({ code: 'exchange_unavailable', status: 503 });
      expect(answer.upstream).toBeUndefined();
    } finally {
      stack.tokenRelay.up();
    }
    expect((await stack.call('/orders/5', { token })).status).toBe(200);
  });

  it('reuses an authorizer answer within the TTL for the same token and route, and asks again for another route', async () => {
    const token = await stack.token('--scope', 'orders:read');
    const invocations = () => stack.functions.authorizer.invocations;
    const start = invocations();
    expect((await stack.call('/orders/1', { token })).status).toBe(200);
    expect(invocations()).toBe(start + 1);
    expect((await stack.call('/orders/2', { token })).status).toBe(200);
    expect(invocations()).toBe(start + 1);
    expect((await stack.call('/delegated/orders/2', { token })).status).toBe(200);
    expect(invocations()).toBe(start + 2);
    expect((await stack.call('/orders/3', { token: await stack.token('--scope', 'orders:read') })).status).toBe(200);
    expect(invocations()).toBe(start + 3);
    expect(stack.gateway.stats.authorizerCacheHits).toBeGreaterThan(0);
  });
});

describe('local stack shutdown', () => {
  it('stops every function process and closes the gateway', async () => {
    const pids = [...stack.functions.authorizer.pids(), ...stack.functions.exchange.pids()];
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await stack.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    await expect(fetch(`${stack.urls.gateway}/orders/1`)).rejects.toThrow();
  });
});
