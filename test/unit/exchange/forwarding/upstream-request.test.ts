import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProxyRequest } from '../../../../functions/exchange/proxy/proxy-event.js';
import {
  concretePath,
  forwardableResponseHeaders,
  hasDotSegment,
  planUpstreamRequest,
  sanitizeQuery,
  upstreamUrl,
} from '../../../../functions/exchange/forwarding/upstream-request.js';
import type { RouteConfig } from '../../../../functions/shared/config/config-schema.js';
import { GatepassError } from '../../../../functions/shared/errors.js';

const route = (overrides: Partial<RouteConfig> = {}): RouteConfig =>
  ({
    id: 'files',
    method: 'ANY',
    path: '/files/{proxy+}',
    upstream: 'https://files.internal.example/api/v1',
    acceptedIssuers: ['partner'],
    requiredScopes: [],
    ...overrides,
  }) as RouteConfig;

function request(overrides: Partial<ProxyRequest> = {}): ProxyRequest {
  return {
    version: 'v1',
    requestId: 'r-1',
    method: 'GET',
    routeKey: 'ANY /files/{proxy+}',
    resource: '/files/{proxy+}',
    path: '/files/a/b',
    stage: 'prod',
    pathParameters: { proxy: 'a/b' },
    rawQueryString: '',
    headers: new Map(),
    cookies: [],
    body: Buffer.alloc(0),
    sourceIp: '198.51.100.23',
    host: 'api.example.com',
    authorizer: { route: 'files', action: 'exchange', issuer: 'partner', subject: 's', clientId: 'c', scope: [], expiresAt: 1, tokenId: '0'.repeat(32) },
    bearerToken: 'caller-token',
    ...overrides,
  };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof GatepassError) return error.code;
    throw error;
  }
}

describe('the concrete upstream path', () => {
  it('fills {param} and {proxy+} from the path parameters', () => {
    expect(concretePath('/orders/{id}', { id: '42' })).toBe('/orders/42');
    expect(concretePath('/files/{proxy+}', { proxy: 'a/b/c.txt' })).toBe('/files/a/b/c.txt');
    expect(concretePath('/orders/{id}/items/{item}', { id: '1', item: 'x' })).toBe('/orders/1/items/x');
    expect(concretePath('/', {})).toBe('/');
  });

  it('percent-encodes values so that a {param} never adds a segment', () => {
    expect(concretePath('/orders/{id}', { id: 'a/b' })).toBe('/orders/a%2Fb');
    expect(concretePath('/orders/{id}', { id: 'a b?c#d%' })).toBe('/orders/a%20b%3Fc%23d%25');
    expect(concretePath('/orders/{id}', { id: 'key=v;x:y@z+w' })).toBe('/orders/key=v;x:y@z+w');
    expect(concretePath('/files/{proxy+}', { proxy: 'dir/ü.txt' })).toBe('/files/dir/%C3%BC.txt');
  });

  it.each([
    ['..', '/orders/{id}'],
    ['.', '/orders/{id}'],
    ['a/../b', '/orders/{id}'],
    ['a\\..\\b', '/orders/{id}'],
    ['%2e%2e', '/orders/{id}'],
    ['%2E%2E%2Fetc', '/orders/{id}'],
    ['%252e%252e', '/orders/{id}'],
    ['../../etc/passwd', '/files/{proxy+}'],
    ['a/./b', '/files/{proxy+}'],
    ['a/%2e%2e/%2e%2e/b', '/files/{proxy+}'],
    ['a/..%5c..%5cb', '/files/{proxy+}'],
  ])('refuses the traversal %s in %s with request_invalid', (value, template) => {
    const name = template.includes('proxy') ? 'proxy' : 'id';
    expect(codeOf(() => concretePath(template, { [name]: value }))).toBe('request_invalid');
  });

  it('refuses control characters with request_invalid', () => {
    expect(codeOf(() => concretePath('/orders/{id}', { id: 'a\u0000b' }))).toBe('request_invalid');
    expect(codeOf(() => concretePath('/orders/{id}', { id: 'a\r\nb' }))).toBe('request_invalid');
  });

  it('reports a template parameter the event lacks as gateway_misconfigured', () => {
    expect(codeOf(() => concretePath('/orders/{id}', {}))).toBe('gateway_misconfigured');
    expect(codeOf(() => concretePath('/orders/{id}', { id: '' }))).toBe('gateway_misconfigured');
    expect(codeOf(() => concretePath('/orders/{toString}', {}))).toBe('gateway_misconfigured');
  });

  it('keeps ordinary names that merely contain dots', () => {
    expect(concretePath('/files/{proxy+}', { proxy: '..hidden/a..b/...' })).toBe('/files/..hidden/a..b/...');
    expect(hasDotSegment('v1.2')).toBe(false);
  });

  it('never leaves the route prefix under the upstream base path, whatever the values (property)', () => {
    const segmentChars = fc.constantFrom('.', '/', '\\', '%', '2', 'e', 'E', 'f', 'F', '5', 'c', 'a', ' ', '?', '#', 'ü');
    const value = fc.array(segmentChars, { minLength: 1, maxLength: 24 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(value, fc.boolean(), (raw, greedy) => {
        const template = greedy ? '/files/{proxy+}' : '/files/{id}';
        let url: URL;
        try {
          url = upstreamUrl(route({ path: template }), { path: '', pathParameters: { proxy: raw, id: raw }, rawQueryString: '' });
        } catch (error) {
          return error instanceof GatepassError && (error.code === 'request_invalid' || error.code === 'gateway_misconfigured');
        }
        // What a WHATWG parser and a decoding upstream make of it stays under /api/v1/files/.
        const resolved = new URL(url.href);
        // (a decoding upstream treats the result as a path: '?' and '#' stay in it)
        const once = decodeURIComponent(resolved.pathname.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
        const decoded = new URL(once.replace(/\?/g, '%3F').replace(/#/g, '%23'), 'https://x');
        return resolved.pathname.startsWith('/api/v1/files/') && decoded.pathname.startsWith('/api/v1/files/') && (greedy || !url.pathname.slice('/api/v1/files/'.length).includes('/'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the upstream URL', () => {
  it('comes from the route configuration only, under its base path', () => {
    const url = upstreamUrl(route(), { path: '', pathParameters: { proxy: 'a/b' }, rawQueryString: 'x=1&y=%20' });
    expect(url.href).toBe('https://files.internal.example/api/v1/files/a/b?x=1&y=%20');
  });

  it('keeps a query of the configured base URL and appends the request query', () => {
    const url = upstreamUrl(route({ upstream: 'https://files.internal.example/base/?tenant=t1' }), { path: '', pathParameters: { proxy: 'a' }, rawQueryString: 'q=1' });
    expect(url.pathname).toBe('/base/files/a');
    expect(url.search).toBe('?tenant=t1&q=1');
  });

  it('escapes what may not appear raw in a query', () => {
    expect(sanitizeQuery('a=b c&d="é"#frag')).toBe('a=b%20c&d=%22%C3%A9%22%23frag');
    expect(sanitizeQuery('a=%20&b=%2F')).toBe('a=%20&b=%2F');
  });
});

describe('the upstream request headers', () => {
  const headers = new Map<string, string[]>([
    ['authorization', ['Bearer caller-token']],
    ['host', ['api.example.com']],
    ['connection', ['keep-alive, x-custom-hop']],
    ['keep-alive', ['timeout=5']],
    ['proxy-authorization', ['Basic cHJveHk6c2VjcmV0']],
    ['proxy-connection', ['keep-alive']],
    ['te', ['trailers']],
    ['trailer', ['x-checksum']],
    ['transfer-encoding', ['chunked']],
    ['upgrade', ['websocket']],
    ['x-custom-hop', ['1']],
    ['content-length', ['999']],
    ['expect', ['100-continue']],
    ['forwarded', ['for=10.0.0.1']],
    ['x-forwarded-for', ['203.0.113.7, 198.51.100.23']],
    ['x-forwarded-host', ['evil.example']],
    ['x-forwarded-proto', ['http']],
    ['x-forwarded-port', ['443']],
    ['x-real-ip', ['10.0.0.1']],
    ['via', ['2.0 abc.cloudfront.net (CloudFront)']],
    ['x-amz-cf-id', ['abc==']],
    ['x-amz-security-token', ['session-token-value']],
    ['x-amzn-vpce-id', ['vpce-1']],
    ['cloudfront-viewer-country', ['DE']],
    ['x-amzn-trace-id', ['Root=1-abc']],
    ['x-actor-token', ['actor-secret-token']],
    ['accept', ['application/json']],
    ['x-request-tag', ['a', 'b']],
  ]);

  it('drops hop-by-hop headers, names listed in Connection, the caller credential and gateway internals', () => {
    const plan = planUpstreamRequest(route(), request({ headers }), 'issued-token');
    expect(Object.keys(plan.headers).sort()).toEqual(
      ['accept', 'authorization', 'x-actor-token', 'x-amzn-trace-id', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-request-tag'].sort(),
    );
    expect(plan.headers['accept']).toBe('application/json');
    expect(plan.headers['x-request-tag']).toEqual(['a', 'b']);
  });

  it('sets Authorization to the given bearer token only', () => {
    const plan = planUpstreamRequest(route(), request({ headers }), 'issued-token');
    expect(plan.headers['authorization']).toBe('Bearer issued-token');
  });

  it('drops the route actor header, which carries a credential', () => {
    const withActor = route({ exchange: { actor: { source: 'header', header: 'X-Actor-Token', enforceMayAct: false } } as RouteConfig['exchange'] });
    expect(planUpstreamRequest(withActor, request({ headers }), 't').headers['x-actor-token']).toBeUndefined();
  });

  it('writes X-Forwarded-For, -Proto and -Host itself', () => {
    const plan = planUpstreamRequest(route(), request({ headers }), 't');
    // API Gateway already appended the source IP to the chain: it is not repeated.
    expect(plan.headers['x-forwarded-for']).toBe('203.0.113.7, 198.51.100.23');
    expect(plan.headers['x-forwarded-proto']).toBe('https');
    expect(plan.headers['x-forwarded-host']).toBe('api.example.com');
    const fresh = planUpstreamRequest(route(), request({ headers: new Map(), sourceIp: '192.0.2.9' }), 't');
    expect(fresh.headers['x-forwarded-for']).toBe('192.0.2.9');
  });

  it('sends cookies as one Cookie header', () => {
    const plan = planUpstreamRequest(route(), request({ cookies: ['a=1', 'b=2'] }), 't');
    expect(plan.headers['cookie']).toBe('a=1; b=2');
  });

  it('leaves out header values Node would refuse and names them', () => {
    const plan = planUpstreamRequest(route(), request({ headers: new Map([['x-bad', ['ok', 'bad\r\nvalue']]]) }), 't');
    expect(plan.headers['x-bad']).toBe('ok');
    expect(plan.invalidHeaders).toEqual(['x-bad']);
  });

  it('cannot reach Object.prototype through a header named __proto__', () => {
    const plan = planUpstreamRequest(route(), request({ headers: new Map([['__proto__', ['x']]]) }), 't');
    expect(Object.getPrototypeOf(plan.headers)).toBeNull();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('declares the body length for bodies and for body methods', () => {
    expect(planUpstreamRequest(route(), request({ method: 'POST', body: Buffer.from('abc') }), 't').headers['content-length']).toBe('3');
    expect(planUpstreamRequest(route(), request({ method: 'POST' }), 't').headers['content-length']).toBe('0');
    expect(planUpstreamRequest(route(), request({ method: 'GET' }), 't').headers['content-length']).toBeUndefined();
  });
});

describe('the response headers returned to the caller', () => {
  it('lose hop-by-hop headers, names listed in Connection, and Content-Length', () => {
    const out = forwardableResponseHeaders(
      new Map([
        ['connection', ['keep-alive, x-hop']],
        ['keep-alive', ['timeout=5']],
        ['transfer-encoding', ['chunked']],
        ['x-hop', ['1']],
        ['content-length', ['10']],
        ['proxy-authenticate', ['Basic']],
        ['set-cookie', ['a=1', 'b=2']],
        ['content-type', ['text/plain']],
      ]),
    );
    expect([...out.keys()].sort()).toEqual(['content-type', 'set-cookie']);
    expect(out.get('set-cookie')).toEqual(['a=1', 'b=2']);
  });
});
