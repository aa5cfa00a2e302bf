import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../functions/shared/config/config-validator.js';
import type { ApiFlavour } from '../../../../scripts/local/gateway-events.js';
import type { FunctionInvoker, InvokeOutcome } from '../../../../scripts/local/lambda-function.js';
import { LocalGateway, type AccessLogEntry } from '../../../../scripts/local/local-gateway.js';

/**
 * The gateway's reading of what its functions answer, with scripted functions in place of
 * the real ones (the end-to-end suites run the real ones): the cases a real authorizer or
 * exchange function should never produce, but API Gateway defines.
 */

const config = parseConfig({
  version: 1,
  insecureLoopbackHttp: true,
  issuers: { p: { issuer: 'https://p.example', jwksUri: 'https://p.example/jwks' } },
  routes: [
    { id: 'orders', method: 'GET', path: '/orders/{id}', upstream: 'http://127.0.0.1:1', acceptedIssuers: ['p'] },
    { id: 'upload', method: 'POST', path: '/upload', upstream: 'http://127.0.0.1:1', acceptedIssuers: ['p'] },
    { id: 'mcp', method: 'ANY', path: '/mcp', upstream: 'http://127.0.0.1:1', acceptedIssuers: ['p'], mcp: { resource: 'http://127.0.0.1:4280/mcp' } },
  ],
});

class ScriptedFunction implements FunctionInvoker {
  readonly events: unknown[] = [];
  constructor(public answer: (event: Record<string, unknown>) => InvokeOutcome) {}
  invoke(event: unknown): Promise<InvokeOutcome> {
    this.events.push(event);
    return Promise.resolve(this.answer(event as Record<string, unknown>));
  }
}

const ok = (result: unknown): InvokeOutcome => ({ ok: true, result });
const fail = (errorMessage: string): InvokeOutcome => ({ ok: false, error: { errorType: 'Error', errorMessage } });
const allowRest = (event: Record<string, unknown>) =>
  ok({ principalId: 'alice', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: event['methodArn'] }] }, context: { route: 'orders', n: 1, yes: true } });
const echoResult = () => ok({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'hi' });

const gateways: LocalGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
});

async function gateway(flavour: ApiFlavour, authorizer: ScriptedFunction, exchange: ScriptedFunction, log?: AccessLogEntry[]) {
  const g = new LocalGateway({ config, flavour, authorizer, exchange, authorizerCacheTtlSeconds: 0, ...(log ? { onRequest: (e: AccessLogEntry) => log.push(e) } : {}) });
  gateways.push(g);
  await g.start();
  return g;
}

const get = (g: LocalGateway, path = '/orders/1', init: RequestInit = {}) =>
  fetch(`${g.url}${path}`, { ...init, headers: { authorization: 'Bearer abc', ...(init.headers as Record<string, string> | undefined) } });

const challenge = 'Bearer resource_metadata="http://127.0.0.1:4280/.well-known/oauth-protected-resource/mcp"';
const mcpRefusal = () => ok({ statusCode: 401, headers: { 'content-type': 'application/problem+json', 'www-authenticate': challenge }, body: '{}' });

describe('local gateway', () => {
  it('passes an HTTP API allow context to the integration under authorizer.lambda, as returned', async () => {
    const exchange = new ScriptedFunction(echoResult);
    const g = await gateway('http', new ScriptedFunction(() => ok({ isAuthorized: true, context: { n: 1, yes: true } })), exchange);
    const response = await get(g);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hi');
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
    expect(exchange.events[0]).toMatchObject({ version: '2.0', requestContext: { authorizer: { lambda: { n: 1, yes: true } } } });
  });

  it('passes a REST allow context as strings with the principal, and writes multi-value headers', async () => {
    const exchange = new ScriptedFunction(() => ok({ statusCode: 201, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] }, body: '' }));
    const g = await gateway('rest', new ScriptedFunction(allowRest), exchange);
    const response = await get(g);
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(exchange.events[0]).toMatchObject({ requestContext: { authorizer: { route: 'orders', n: '1', yes: 'true', principalId: 'alice' } } });
  });

  it('answers 500 for an HTTP API authorizer that throws, even "Unauthorized", or answers malformed', async () => {
    for (const answer of [() => fail('Unauthorized'), () => fail('boom'), () => ok({ allowed: true })]) {
      const g = await gateway('http', new ScriptedFunction(answer), new ScriptedFunction(echoResult));
      expect((await get(g)).status).toBe(500);
    }
  });

  it('answers a REST authorizer: "Unauthorized" 401, other throws 500, objects in the context 500, a policy for another method 403', async () => {
    const cases: [(e: Record<string, unknown>) => InvokeOutcome, number][] = [
      [() => fail('Unauthorized'), 401],
      [() => fail('unauthorized'), 500],
      [(e) => ok({ ...(allowRest(e) as { result: Record<string, unknown> }).result, context: { nested: { a: 1 } } }), 500],
      [() => ok({ principalId: 'x', policyDocument: { Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/POST/*' }] } }), 403],
    ];
    for (const [answer, status] of cases) {
      const g = await gateway('rest', new ScriptedFunction(answer), new ScriptedFunction(echoResult));
      expect((await get(g)).status).toBe(status);
    }
  });

  it('answers a failed or malformed integration with 500 (HTTP API) and 502 (REST)', async () => {
    for (const [flavour, status] of [['http', 500], ['rest', 502]] as const) {
      const authorizer = new ScriptedFunction(flavour === 'http' ? () => ok({ isAuthorized: true }) : allowRest);
      for (const answer of [() => fail('Task timed out'), () => ok({ statusCode: 'nope' })]) {
        const g = await gateway(flavour, authorizer, new ScriptedFunction(answer));
        expect((await get(g)).status).toBe(status);
      }
    }
  });

  it('refuses a body over 10 MB with 413 without calling any function', async () => {
    const authorizer = new ScriptedFunction(() => ok({ isAuthorized: true }));
    const log: AccessLogEntry[] = [];
    const g = await gateway('http', authorizer, new ScriptedFunction(echoResult), log);
    const response = await get(g, '/upload', { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(authorizer.events).toHaveLength(0);
    expect(log[0]).toMatchObject({ status: 413, failure: 'payload_too_large', authorizer: 'skipped' });
  });

  it('reports every request to its access log with the route and what the authorizer did', async () => {
    const log: AccessLogEntry[] = [];
    const g = await gateway('http', new ScriptedFunction(() => ok({ isAuthorized: false })), new ScriptedFunction(echoResult), log);
    await get(g);
    await fetch(`${g.url}/nowhere`);
    expect(log).toMatchObject([
      { method: 'GET', path: '/orders/1', routeId: 'orders', status: 403, authorizer: 'invoked', failure: 'access_denied' },
      { path: '/nowhere', routeId: undefined, status: 404, authorizer: 'skipped', failure: 'no_route' },
    ]);
  });

  it('invokes the exchange function on an MCP route and its metadata route with no authorizer, no context, and no token required', async () => {
    for (const flavour of ['http', 'rest'] as const) {
      const authorizer = new ScriptedFunction(allowRest);
      const exchange = new ScriptedFunction(mcpRefusal);
      const log: AccessLogEntry[] = [];
      const g = await gateway(flavour, authorizer, exchange, log);
      expect((await fetch(`${g.url}/mcp`, { method: 'POST', body: '{}' })).status).toBe(401);
      expect((await fetch(`${g.url}/.well-known/oauth-protected-resource/mcp`)).status).toBe(401);
      expect(authorizer.events).toEqual([]);
      expect(exchange.events).toHaveLength(2);
      for (const event of exchange.events) expect((event as { requestContext: object }).requestContext).not.toHaveProperty('authorizer');
      expect(log.map((e) => [e.routeId, e.authorizer])).toEqual([
        ['mcp', 'none'],
        ['mcp', 'none'],
      ]);
    }
  });

  it("renames an integration's WWW-Authenticate to x-amzn-Remapped-WWW-Authenticate on REST only; HTTP APIs pass it unchanged", async () => {
    const rest = await gateway('rest', new ScriptedFunction(allowRest), new ScriptedFunction(mcpRefusal));
    const renamed = await fetch(`${rest.url}/mcp`, { method: 'POST', body: '{}' });
    expect(renamed.headers.get('www-authenticate')).toBeNull();
    expect(renamed.headers.get('x-amzn-remapped-www-authenticate')).toBe(challenge);
    const http = await gateway('http', new ScriptedFunction(allowRest), new ScriptedFunction(mcpRefusal));
    const kept = await fetch(`${http.url}/mcp`, { method: 'POST', body: '{}' });
    expect(kept.headers.get('www-authenticate')).toBe(challenge);
    expect(kept.headers.get('x-amzn-remapped-www-authenticate')).toBeNull();
  });

  it("keeps WWW-Authenticate on the REST gateway's own responses (they are not an integration's)", async () => {
    const g = await gateway('rest', new ScriptedFunction(() => fail('Unauthorized')), new ScriptedFunction(echoResult));
    const response = await get(g);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });
});
