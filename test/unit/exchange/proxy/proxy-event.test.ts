import { describe, expect, it } from 'vitest';
import { parseProxyEvent, proxyEventVersion, type ProxyEventOptions } from '../../../../functions/exchange/proxy/proxy-event.js';
import { GatepassError } from '../../../../functions/shared/errors.js';
import { contextOf, loadExchangeEvent, withBearerToken } from '../../../support/exchange-events.js';

const options: ProxyEventOptions = { maxTokenLength: 8192, clockSkewSeconds: 30, now: () => Date.UTC(2026, 10, 22) };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof GatepassError) return error.code;
    throw error;
  }
  return undefined;
}

describe('REST API proxy events (payload 1.0)', () => {
  it('normalises the sample event: route, path, parameters, query and source', () => {
    const request = parseProxyEvent(loadExchangeEvent('rest-api-v1'), options);
    expect(request).toMatchObject({
      version: 'v1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      method: 'GET',
      routeKey: 'GET /orders/{id}',
      resource: '/orders/{id}',
      path: '/orders/42',
      stage: 'prod',
      pathParameters: { id: '42' },
      rawQueryString: 'fields=id&fields=status&expand=items',
      sourceIp: '198.51.100.23',
      host: 'api.example.com',
      bearerToken: 'placeholder-partner-access-token',
    });
    expect(request.body.length).toBe(0);
  });

  it('keeps every value of a repeated header under its lower-cased name', () => {
    const request = parseProxyEvent(loadExchangeEvent('rest-api-v1'), options);
    expect(request.headers.get('x-request-tag')).toEqual(['a', 'b']);
    expect(request.headers.get('accept')).toEqual(['application/json']);
    expect([...request.headers.keys()].every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('merges header names that differ only in case', () => {
    const event = loadExchangeEvent('rest-api-v1');
    event['multiValueHeaders']['x-request-tag'] = ['c'];
    expect(parseProxyEvent(event, options).headers.get('x-request-tag')).toEqual(['a', 'b', 'c']);
  });

  it('falls back to single-value headers and query when the multi-value maps are absent', () => {
    const event = loadExchangeEvent('rest-api-v1');
    delete event['multiValueHeaders'];
    delete event['multiValueQueryStringParameters'];
    const request = parseProxyEvent(event, options);
    expect(request.headers.get('x-request-tag')).toEqual(['b']);
    expect(request.rawQueryString).toBe('fields=status&expand=items');
  });

  it('re-encodes decoded query values', () => {
    const event = loadExchangeEvent('rest-api-v1');
    event['multiValueQueryStringParameters'] = { q: ['a b&c=d', 'é'], 'odd key': ['1'] };
    expect(parseProxyEvent(event, options).rawQueryString).toBe('q=a%20b%26c%3Dd&q=%C3%A9&odd%20key=1');
  });

  it('decodes REST path parameters once, as HTTP APIs do themselves', () => {
    const rest = loadExchangeEvent('rest-api-v1');
    rest['pathParameters'] = { id: 'a%20b%40c%2Fd' };
    expect(parseProxyEvent(rest, options).pathParameters).toEqual({ id: 'a b@c/d' });
    const broken = loadExchangeEvent('rest-api-v1');
    broken['pathParameters'] = { id: '100%' };
    expect(parseProxyEvent(broken, options).pathParameters).toEqual({ id: '100%' });
    const httpApiV1 = loadExchangeEvent('rest-api-v1');
    httpApiV1['version'] = '1.0';
    httpApiV1['pathParameters'] = { id: 'a%20b' };
    expect(parseProxyEvent(httpApiV1, options).pathParameters).toEqual({ id: 'a%20b' });
  });

  it('moves the Cookie header into cookies', () => {
    const request = parseProxyEvent(loadExchangeEvent('rest-api-v1'), options);
    expect(request.cookies).toEqual(['session=abc123', 'theme=dark']);
    expect(request.headers.has('cookie')).toBe(false);
  });

  it('decodes a base64 body byte for byte', () => {
    const event = loadExchangeEvent('rest-api-v1');
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]);
    event['body'] = bytes.toString('base64');
    event['isBase64Encoded'] = true;
    expect(parseProxyEvent(event, options).body.equals(bytes)).toBe(true);
  });

  it('takes a text body as UTF-8', () => {
    const event = loadExchangeEvent('rest-api-v1');
    event['body'] = '{"name":"Zoë"}';
    expect(parseProxyEvent(event, options).body.toString('utf8')).toBe('{"name":"Zoë"}');
  });

  it('reads the context nested under lambda, as an HTTP API with payload 1.0 sends it', () => {
    const event = loadExchangeEvent('rest-api-v1');
    event['version'] = '1.0';
    event['requestContext']['authorizer'] = { lambda: event['requestContext']['authorizer'] };
    expect(parseProxyEvent(event, options).authorizer.route).toBe('orders-read');
  });

  it('reads the context with REST string values, expiresAt included', () => {
    const request = parseProxyEvent(loadExchangeEvent('rest-api-v1'), options);
    expect(request.authorizer).toEqual({
      route: 'orders-read',
      action: 'exchange',
      issuer: 'partner',
      subject: 'user-7f3a',
      clientId: 'partner-portal',
      scope: ['orders:read', 'profile'],
      expiresAt: 4102444800,
      tokenId: 'a29946881530f57bc0dc587c8acb4fff',
    });
  });
});

describe('HTTP API proxy events (payload 2.0)', () => {
  it('normalises the sample event: route key, greedy parameter, raw query, cookies, binary body', () => {
    const request = parseProxyEvent(loadExchangeEvent('http-api-v2'), options);
    expect(request).toMatchObject({
      version: 'v2',
      method: 'POST',
      routeKey: 'ANY /reports/{proxy+}',
      resource: '/reports/{proxy+}',
      path: '/reports/2026/q3/summary.pdf',
      pathParameters: { proxy: '2026/q3/summary.pdf' },
      rawQueryString: 'format=pdf&lang=en&lang=de',
      cookies: ['session=abc123', 'theme=dark'],
      sourceIp: '198.51.100.23',
      host: 'api.example.com',
      bearerToken: 'placeholder-legacy-opaque-token',
    });
    expect(request.body.equals(Buffer.from('AAECA//+/fxnYXRlcGFzcw==', 'base64'))).toBe(true);
    expect(request.authorizer.action).toBe('passthrough');
    expect(request.authorizer.expiresAt).toBe(4102444800);
  });

  it('keeps a comma-joined header as the one value API Gateway made of it', () => {
    expect(parseProxyEvent(loadExchangeEvent('http-api-v2'), options).headers.get('x-request-tag')).toEqual(['a,b']);
  });

  it('reads a $default route key as no template', () => {
    const event = loadExchangeEvent('http-api-v2');
    event['routeKey'] = '$default';
    expect(parseProxyEvent(event, options).resource).toBe('');
  });

  it('detects the payload version from the event itself', () => {
    expect(proxyEventVersion(loadExchangeEvent('http-api-v2'))).toBe('v2');
    expect(proxyEventVersion(loadExchangeEvent('rest-api-v1'))).toBe('v1');
    expect(proxyEventVersion('nonsense')).toBe('v1');
  });
});

describe('refusals', () => {
  it('refuses a REST request that carries no authorizer context as gateway_misconfigured', () => {
    expect(codeOf(() => parseProxyEvent(loadExchangeEvent('rest-api-v1-no-authorizer'), options))).toBe('gateway_misconfigured');
  });

  it('refuses an HTTP API request whose authorizer is not a gatepass Lambda authorizer', () => {
    const event = loadExchangeEvent('http-api-v2');
    event['requestContext']['authorizer'] = { jwt: { claims: { sub: 'x' }, scopes: [] } };
    expect(codeOf(() => parseProxyEvent(event, options))).toBe('gateway_misconfigured');
  });

  it.each([
    ['action', 'allow'],
    ['tokenId', 'A29946881530F57BC0DC587C8ACB4FFF'],
    ['expiresAt', 'tomorrow'],
    ['route', ''],
    ['issuer', undefined],
  ])('refuses a context whose %s is %s as gateway_misconfigured', (key, value) => {
    const event = loadExchangeEvent('rest-api-v1');
    contextOf(event)[key] = value;
    expect(codeOf(() => parseProxyEvent(event, options))).toBe('gateway_misconfigured');
  });

  it('refuses a token other than the one the authorizer validated with token_invalid', () => {
    const event = withBearerToken(loadExchangeEvent('rest-api-v1'), 'the-validated-token');
    event['multiValueHeaders']['Authorization'] = ['Bearer a-different-token'];
    expect(codeOf(() => parseProxyEvent(event, options))).toBe('token_invalid');
  });

  it('refuses a request without an Authorization header with token_missing', () => {
    const event = loadExchangeEvent('http-api-v2');
    delete event['headers']['authorization'];
    expect(codeOf(() => parseProxyEvent(event, options))).toBe('token_missing');
  });

  it('refuses several Authorization values with token_malformed', () => {
    const v1 = loadExchangeEvent('rest-api-v1');
    v1['multiValueHeaders']['Authorization'].push('Bearer placeholder-partner-access-token');
    expect(codeOf(() => parseProxyEvent(v1, options))).toBe('token_malformed');
    const v2 = loadExchangeEvent('http-api-v2');
    v2['headers']['authorization'] = 'Bearer placeholder-legacy-opaque-token,Bearer other';
    expect(codeOf(() => parseProxyEvent(v2, options))).toBe('token_malformed');
  });

  it('accepts the Bearer scheme in any case', () => {
    const event = loadExchangeEvent('http-api-v2');
    event['headers']['authorization'] = 'bEaReR placeholder-legacy-opaque-token';
    expect(parseProxyEvent(event, options).bearerToken).toBe('placeholder-legacy-opaque-token');
  });

  it('refuses a token that expired after a cached authorizer allow, beyond the clock skew', () => {
    const event = loadExchangeEvent('rest-api-v1');
    const now = Date.UTC(2026, 10, 22);
    contextOf(event)['expiresAt'] = String(now / 1000 - 31);
    expect(codeOf(() => parseProxyEvent(event, { ...options, now: () => now }))).toBe('token_expired');
    contextOf(event)['expiresAt'] = String(now / 1000 - 30);
    expect(parseProxyEvent(event, { ...options, now: () => now }).authorizer.expiresAt).toBe(now / 1000 - 30);
  });

  it('refuses something that is not a proxy event as gateway_misconfigured', () => {
    expect(codeOf(() => parseProxyEvent({ type: 'REQUEST', methodArn: 'arn:aws:execute-api:x' }, options))).toBe('gateway_misconfigured');
    expect(codeOf(() => parseProxyEvent({ version: '2.0', rawPath: '/' }, options))).toBe('gateway_misconfigured');
    expect(codeOf(() => parseProxyEvent(null, options))).toBe('gateway_misconfigured');
  });
});
