import { describe, expect, it } from 'vitest';
import { parseAuthorizerEvent } from '../../../../functions/authorizer/authorizer-event.js';
import { parseProxyEvent } from '../../../../functions/exchange/proxy/proxy-event.js';
import { parseConfig } from '../../../../functions/shared/config/config-validator.js';
import { RouteMatcher } from '../../../../functions/shared/route-matcher.js';
import { tokenIdOf } from '../../../../functions/shared/token-id.js';
import {
  ApiRoutes,
  httpApiAuthorizerEvent,
  httpApiProxyEvent,
  identitySourceValues,
  matchesBinaryMediaType,
  matchRoute,
  requestTime,
  restAuthorizerEvent,
  restProxyEvent,
  type ApiIdentity,
  type GatewayRequest,
} from '../../../../scripts/local/gateway-events.js';

const config = parseConfig({
  version: 1,
  insecureLoopbackHttp: true,
  issuers: { partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks' } },
  routes: [
    { id: 'orders-read', method: 'GET', path: '/orders/{id}', upstream: 'http://127.0.0.1:1', acceptedIssuers: ['partner'] },
    { id: 'orders-health', method: 'GET', path: '/orders/health', upstream: 'http://127.0.0.1:1', acceptedIssuers: ['partner'] },
    { id: 'files', method: 'ANY', path: '/files/{proxy+}', upstream: 'http://127.0.0.1:1', acceptedIssuers: ['partner'] },
    { id: 'mcp', method: 'ANY', path: '/mcp', upstream: 'http://127.0.0.1:1', acceptedIssuers: ['partner'], mcp: { resource: 'http://127.0.0.1:4280/mcp' } },
  ],
});
const routes = new ApiRoutes(config);
const matcher = new RouteMatcher(config);
const api: ApiIdentity = { accountId: '123456789012', region: 'us-east-1', apiId: 'abc123', stage: '$default', domainName: '127.0.0.1' };
const restApi: ApiIdentity = { ...api, stage: 'prod' };
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

function request(overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    method: 'GET',
    rawPath: '/orders/a%20b',
    rawQueryString: 'lang=en&lang=de&q=x%2By',
    headers: [
      ['Authorization', `Bearer ${TOKEN}`],
      ['X-Tag', 'a'],
      ['x-tag', 'b'],
      ['Cookie', 'session=1; theme=dark'],
      ['User-Agent', 'curl/8'],
    ],
    body: Buffer.alloc(0),
    sourceIp: '127.0.0.1',
    requestId: 'req-1',
    receivedAt: Date.UTC(2026, 10, 22, 4, 30, 0),
    ...overrides,
  };
}

const context = { route: 'orders-read', action: 'exchange', issuer: 'partner', subject: 'alice', clientId: 'app', scope: 'orders:read', expiresAt: 4102444800, tokenId: tokenIdOf(TOKEN) };

describe('route matching', () => {
  it('prefers a literal segment to a parameter and extracts raw path parameters', () => {
    expect(matchRoute(routes, 'GET', '/orders/health')?.route.id).toBe('orders-health');
    expect(matchRoute(routes, 'GET', '/orders/a%20b')).toMatchObject({ routeKey: 'GET /orders/{id}', rawPathParameters: { id: 'a%20b' } });
  });

  it('matches ANY routes with a greedy parameter, and nothing for another method or path', () => {
    expect(matchRoute(routes, 'DELETE', '/files/a/b.txt')).toMatchObject({ routeKey: 'ANY /files/{proxy+}', rawPathParameters: { proxy: 'a/b.txt' } });
    expect(matchRoute(routes, 'POST', '/orders/1')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/files')).toBeUndefined();
  });

  it("serves an MCP route's metadata on its own public GET route, before a greedy route, and guards the MCP route in the function", () => {
    const catchAll = { id: 'catch-all', method: 'ANY', path: '/{proxy+}', upstream: 'http://127.0.0.1:1', acceptedIssuers: ['partner'] };
    const withCatchAll = new ApiRoutes(parseConfig({ ...config, routes: [...config.routes, catchAll] }));
    const metadata = matchRoute(withCatchAll, 'GET', '/.well-known/oauth-protected-resource/mcp');
    expect(metadata).toMatchObject({ route: { id: 'mcp' }, routeKey: 'GET /.well-known/oauth-protected-resource/mcp', apiRoute: { kind: 'mcp-metadata', guard: 'none' } });
    expect(matchRoute(withCatchAll, 'POST', '/.well-known/oauth-protected-resource/mcp')?.route.id).toBe('catch-all');
    expect(matchRoute(routes, 'POST', '/mcp')).toMatchObject({ route: { id: 'mcp' }, routeKey: 'ANY /mcp', apiRoute: { kind: 'route', guard: 'function' } });
    expect(matchRoute(routes, 'GET', '/orders/1')?.apiRoute.guard).toBe('authorizer');
  });
});

describe('identity sources', () => {
  const match = matchRoute(routes, 'GET', '/orders/1')!;

  it('are the Authorization header and the route key (HTTP) or resource path and method (REST)', () => {
    expect(identitySourceValues('http', request(), match)).toEqual([`Bearer ${TOKEN}`, 'GET /orders/{id}']);
    expect(identitySourceValues('rest', request(), match)).toEqual([`Bearer ${TOKEN}`, '/orders/{id}', 'GET']);
  });

  it('are missing when the Authorization header is absent or empty', () => {
    expect(identitySourceValues('http', request({ headers: [] }), match)).toBeUndefined();
    expect(identitySourceValues('rest', request({ headers: [['authorization', ' ']] }), match)).toBeUndefined();
  });

  it('join repeated Authorization headers with a comma on HTTP APIs, as the event will', () => {
    const twice = request({ headers: [['authorization', 'Bearer a'], ['authorization', 'Bearer b']] });
    expect(identitySourceValues('http', twice, match)?.[0]).toBe('Bearer a,Bearer b');
    expect(identitySourceValues('rest', twice, match)?.[0]).toBe('Bearer b');
  });
});

describe('HTTP API events (payload 2.0)', () => {
  const match = matchRoute(routes, 'GET', '/orders/a%20b')!;

  it('build an authorizer event the authorizer reads as an HTTP API event for the route', () => {
    const event = httpApiAuthorizerEvent(request(), match, api);
    expect(event).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      routeKey: 'GET /orders/{id}',
      identitySource: [`Bearer ${TOKEN}`, 'GET /orders/{id}'],
      cookies: ['session=1', 'theme=dark'],
      headers: { authorization: `Bearer ${TOKEN}`, 'x-tag': 'a,b', 'user-agent': 'curl/8' },
      queryStringParameters: { lang: 'en,de', q: 'x+y' },
      pathParameters: { id: 'a b' },
      routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/orders/a%20b',
    });
    expect(event['headers']).not.toHaveProperty('cookie');
    const parsed = parseAuthorizerEvent(event, matcher);
    expect(parsed).toMatchObject({ format: 'http-v2', authorization: [`Bearer ${TOKEN}`], tokenInQuery: false });
    expect(parsed.route?.id).toBe('orders-read');
  });

  it('build a proxy event with the context under authorizer.lambda, which the exchange function accepts', () => {
    const event = httpApiProxyEvent(request(), match, api, context);
    expect(event).toMatchObject({ requestContext: { authorizer: { lambda: context }, http: { method: 'GET', sourceIp: '127.0.0.1' }, time: '22/Nov/2026:04:30:00 +0000' } });
    const parsed = parseProxyEvent(event, { maxTokenLength: 8192, clockSkewSeconds: 30 });
    expect(parsed).toMatchObject({ version: 'v2', routeKey: 'GET /orders/{id}', rawQueryString: 'lang=en&lang=de&q=x%2By', pathParameters: { id: 'a b' }, cookies: ['session=1', 'theme=dark'] });
    expect(parsed.authorizer.tokenId).toBe(tokenIdOf(TOKEN));
  });

  it('pass a JSON body as text and a binary body as base64', () => {
    const json = httpApiProxyEvent(request({ body: Buffer.from('{"a":1}'), headers: [['content-type', 'application/json']] }), match, api, context);
    expect(json).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    const bytes = Buffer.from([0, 0xff, 0x80]);
    const binary = httpApiProxyEvent(request({ body: bytes, headers: [['content-type', 'application/octet-stream']] }), match, api, context);
    expect(binary).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });
});

describe('REST API events (payload 1.0)', () => {
  const match = matchRoute(routes, 'GET', '/orders/a%20b')!;

  it('build a REQUEST authorizer event with the method ARN and every header value', () => {
    const event = restAuthorizerEvent(request(), match, restApi);
    expect(event).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/orders/a%20b',
      resource: '/orders/{id}',
      httpMethod: 'GET',
      headers: { 'X-Tag': 'b' },
      multiValueHeaders: { 'X-Tag': ['a', 'b'] },
      queryStringParameters: { lang: 'de' },
      multiValueQueryStringParameters: { lang: ['en', 'de'] },
      pathParameters: { id: 'a%20b' },
      requestContext: { resourcePath: '/orders/{id}', stage: 'prod', path: '/prod/orders/a%20b' },
    });
    const parsed = parseAuthorizerEvent(event, matcher);
    expect(parsed).toMatchObject({ format: 'rest-request', arnPrefix: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod' });
    expect(parsed.route?.id).toBe('orders-read');
  });

  it('build a proxy event whose context values are strings, which the exchange function accepts', () => {
    const event = restProxyEvent(request(), match, restApi, { principalId: 'alice', context, latencyMs: 12 }, ['*/*']);
    expect((event['requestContext'] as Record<string, unknown>)['authorizer']).toEqual({
      ...Object.fromEntries(Object.entries(context).map(([k, v]) => [k, String(v)])),
      principalId: 'alice',
      integrationLatency: 12,
    });
    const parsed = parseProxyEvent(event, { maxTokenLength: 8192, clockSkewSeconds: 30 });
    expect(parsed).toMatchObject({ version: 'v1', routeKey: 'GET /orders/{id}', pathParameters: { id: 'a b' } });
    expect(parsed.authorizer.expiresAt).toBe(4102444800);
  });

  it('base64-encode a body whose type matches binaryMediaTypes, and pass others as text', () => {
    const body = Buffer.from('hello');
    const binary = restProxyEvent(request({ body }), match, restApi, { principalId: 'p', context, latencyMs: 0 }, ['*/*']);
    expect(binary).toMatchObject({ body: body.toString('base64'), isBase64Encoded: true });
    const text = restProxyEvent(request({ body, headers: [['content-type', 'text/plain']] }), match, restApi, { principalId: 'p', context, latencyMs: 0 }, ['image/*']);
    expect(text).toMatchObject({ body: 'hello', isBase64Encoded: false });
    const empty = restProxyEvent(request(), match, restApi, { principalId: 'p', context, latencyMs: 0 }, ['*/*']);
    expect(empty).toMatchObject({ body: null, isBase64Encoded: false });
  });
});

describe('events on routes with no authorizer (MCP routes and their metadata)', () => {
  const mcp = matchRoute(routes, 'POST', '/mcp')!;
  const metadata = matchRoute(routes, 'GET', '/.well-known/oauth-protected-resource/mcp')!;

  it('carry no authorizer context in either payload format', () => {
    const v2 = httpApiProxyEvent(request({ method: 'POST', rawPath: '/mcp' }), mcp, api, undefined);
    expect(v2).toMatchObject({ routeKey: 'ANY /mcp', rawPath: '/mcp' });
    expect(v2['requestContext']).not.toHaveProperty('authorizer');
    const v1 = restProxyEvent(request({ method: 'POST', rawPath: '/mcp' }), mcp, restApi, undefined, ['*/*']);
    expect(v1).toMatchObject({ resource: '/mcp', httpMethod: 'POST' });
    expect(v1['requestContext']).not.toHaveProperty('authorizer');
  });

  it("name the metadata route's own template, so the function can tell it from the MCP route", () => {
    const get = request({ rawPath: '/.well-known/oauth-protected-resource/mcp', headers: [] });
    expect(httpApiProxyEvent(get, metadata, api, undefined)).toMatchObject({ routeKey: 'GET /.well-known/oauth-protected-resource/mcp' });
    expect(restProxyEvent(get, metadata, restApi, undefined, ['*/*'])).toMatchObject({
      resource: '/.well-known/oauth-protected-resource/mcp',
      requestContext: { resourcePath: '/.well-known/oauth-protected-resource/mcp', resourceId: 'mcp-mcp-metadata' },
    });
  });
});

describe('helpers', () => {
  it('format request times as API Gateway does', () => {
    expect(requestTime(Date.UTC(2026, 0, 5, 3, 4, 5))).toBe('05/Jan/2026:03:04:05 +0000');
  });

  it('match media types against binaryMediaTypes patterns', () => {
    expect(matchesBinaryMediaType('image/png', ['image/*'])).toBe(true);
    expect(matchesBinaryMediaType('application/json; charset=utf-8', ['application/json'])).toBe(true);
    expect(matchesBinaryMediaType('text/plain', ['image/*'])).toBe(false);
    expect(matchesBinaryMediaType(undefined, ['*/*'])).toBe(true);
    expect(matchesBinaryMediaType('image/png', [])).toBe(false);
  });
});
