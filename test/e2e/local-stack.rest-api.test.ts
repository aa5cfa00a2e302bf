import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../scripts/local/demo-config.js';
import { startTestStack, upstreamToken, type TestStack } from '../support/local-stack-harness.js';

/**
 * The whole flow over HTTP, REST API flavour: REQUEST authorizer events and Lambda proxy
 * events (payload 1.0), IAM policies evaluated per request, and the problem+json gateway
 * responses the CDK stack configures.
 */

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ flavour: 'rest', authorizerCacheTtlSeconds: 60 });
});

afterAll(async () => {
  await stack?.stop();
});

const problem = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe('local stack, REST API', () => {
  it('exchanges a partner token through payload 1.0 events and forwards repeated headers and query values', async () => {
    const token = await stack.token('--scope', 'orders:read');
    const answer = await stack.call('/orders/42?fields=id&fields=status', { token, headers: { 'x-request-tag': ['a', 'b'] } });
    expect(answer.status).toBe(200);
    expect(answer.upstream?.claims).toMatchObject({ iss: stack.urls.corp, aud: DEMO.ordersAudience, scope: 'orders:read' });
    expect(answer.upstream?.query).toBe('fields=id&fields=status');
    expect(answer.upstream?.headers['x-request-tag']?.join(',').replace(/\s/g, '')).toBe('a,b');
    expect(answer.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    // REST hands the context over as strings; the exchange function accepted them
    expect(await stack.decisionFor(token)).toMatchObject({ outcome: 'ok', action: 'exchange', route: 'orders-read' });
  });

  it('passes a corporate token through and downscopes an admin one', async () => {
    const reader = await stack.token('--issuer', 'corp', '--scope', 'orders:read');
    expect(upstreamToken((await stack.call('/orders/1', { token: reader })).upstream)).toBe(reader);
    const admin = await stack.token('--issuer', 'corp', '--scope', 'orders:read orders:admin');
    expect((await stack.call('/orders/1', { token: admin })).upstream?.claims).toMatchObject({ scope: 'orders:read', iss: stack.urls.corp });
  });

  it('redeems an Entra-style token On-Behalf-Of through payload 1.0 events, and answers a consent refusal as a problem+json 403', async () => {
    const token = await stack.token('--issuer', 'entra', '--scope', DEMO.entra.callerScope);
    const answer = await stack.call('/entra/orders/42', { token });
    expect(answer.status).toBe(200);
    expect(upstreamToken(answer.upstream)).not.toBe(token);
    expect(answer.upstream?.claims).toMatchObject({ iss: stack.urls.entra, aud: DEMO.entra.ordersAppId, scp: 'Orders.Read', oid: DEMO.entra.user.oid });
    const refused = await stack.call('/entra/orders/42/audit', { token });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(problem(refused.text)).toMatchObject({ code: 'exchange_denied' });
  });

  it('passes a binary body byte for byte: the stack treats every media type as binary', async () => {
    const token = await stack.token('--issuer', 'legacy', '--scope', 'reports');
    const body = Buffer.from([0xff, 0xfe, 0, 1, 0x80, 0x41]);
    const answer = await stack.call('/reports/2026/q3', { token, method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(answer.status).toBe(200);
    expect(Buffer.from(answer.upstream!.bodyBase64, 'base64')).toEqual(body);
  });

  it('answers 401 problem+json for an expired token: the authorizer threw "Unauthorized"', async () => {
    const token = await stack.token('--scope', 'orders:read', '--expired');
    const answer = await stack.call('/orders/42', { token });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    expect(problem(answer.text)).toEqual({ type: 'https://gatepass.dev/errors/token_invalid', title: 'The bearer token is not valid', status: 401, code: 'token_invalid' });
    expect(await stack.authorizerDecisionFor(token)).toMatchObject({ outcome: 'token_expired', format: 'rest-request' });
  });

  it("answers 403 problem+json naming the Deny's code for a missing scope", async () => {
    const token = await stack.token('--scope', 'orders:read');
    const answer = await stack.call('/orders', { token, method: 'POST', body: '{"item":"book"}', headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope"');
    expect(problem(answer.text)).toMatchObject({ type: 'https://gatepass.dev/errors/insufficient_scope', status: 403, code: 'insufficient_scope' });
    expect(answer.upstream).toBeUndefined();
  });

  it('answers 401 problem+json without invoking the authorizer when there is no token', async () => {
    const invocations = stack.functions.authorizer.invocations;
    const answer = await stack.call('/orders/42');
    expect(answer.status).toBe(401);
    expect(problem(answer.text)).toMatchObject({ code: 'token_invalid' });
    expect(stack.functions.authorizer.invocations).toBe(invocations);
  });

  it('answers an unknown path with the 404 problem the stack configures', async () => {
    const answer = await stack.call('/nothing', { token: await stack.token('--scope', 'orders:read') });
    expect(answer.status).toBe(404);
    expect(problem(answer.text)).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
  });

  it('answers 503 with Retry-After while the token endpoint is down', async () => {
    const token = await stack.token('--scope', 'orders:read');
    stack.tokenRelay.down();
    try {
      const answer = await stack.call('/orders/9', { token });
      expect(answer.status).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(problem(answer.text)).toMatchObject({ code: 'exchange_unavailable' });
    } finally {
      stack.tokenRelay.up();
    }
  });

  it('reuses a cached policy on the same route and asks the authorizer again on another', async () => {
    const token = await stack.token('--scope', 'orders:read');
    const start = stack.functions.authorizer.invocations;
    expect((await stack.call('/orders/1', { token })).status).toBe(200);
    expect((await stack.call('/orders/2', { token })).status).toBe(200);
    expect(stack.functions.authorizer.invocations).toBe(start + 1);
    expect((await stack.call('/delegated/orders/2', { token })).status).toBe(200);
    expect(stack.functions.authorizer.invocations).toBe(start + 2);
  });

  it('caches a Deny too: a refused token stays refused on that route without a new authorizer call', async () => {
    const token = await stack.token('--scope', 'orders:read');
    const start = stack.functions.authorizer.invocations;
    expect((await stack.call('/orders', { token, method: 'POST', body: '{}' })).status).toBe(403);
    expect((await stack.call('/orders', { token, method: 'POST', body: '{}' })).status).toBe(403);
    expect(stack.functions.authorizer.invocations).toBe(start + 1);
  });
});
