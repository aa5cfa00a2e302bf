import type { APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseProxyEvent, type ProxyRequest } from '../../../functions/exchange/proxy/proxy-event.js';
import { proxyResult } from '../../../functions/exchange/proxy/proxy-result.js';
import { RouteBinding } from '../../../functions/exchange/proxy/route-binding.js';
import type { MetricSink } from '../../../functions/shared/telemetry/telemetry-sinks.js';
import {
  LAMBDA_RESPONSE_LIMIT_BYTES,
  MAX_UPSTREAM_BODY_BYTES,
  UpstreamForwarder,
  type UpstreamResponse,
} from '../../../functions/exchange/forwarding/upstream-forwarder.js';
import { parseConfig } from '../../../functions/shared/config/config-validator.js';
import type { GatepassConfig, RouteConfig } from '../../../functions/shared/config/config-schema.js';
import { startEchoUpstream, type EchoedRequest, type EchoUpstream } from '../../../fakes/echo-upstream.js';
import { loadExchangeEvent, withBearerToken, type MutableEvent } from '../../support/exchange-events.js';
import { closedPort, startStalledListener } from '../../support/stalled-listener.js';
import { gatepassFailure } from '../../support/failures.js';

const eventOptions = { maxTokenLength: 8192, clockSkewSeconds: 30 };
const timeouts = { connectTimeoutMs: 200, timeoutMs: 600 };

function configFor(upstreamBase: string): GatepassConfig {
  return parseConfig({
    version: 1,
    insecureLoopbackHttp: true,
    issuers: {
      partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks' },
      legacy: { issuer: 'https://sso.legacy.example', jwksUri: 'https://sso.legacy.example/jwks' },
    },
    authorizationServers: {
      corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId: 'gatepass/corp' },
    },
    routes: [
      {
        id: 'orders-read',
        method: 'GET',
        path: '/orders/{id}',
        upstream: `${upstreamBase}/svc`,
        acceptedIssuers: ['partner'],
        exchange: { authorizationServer: 'corp', scope: ['orders:read'], actor: { source: 'header', header: 'X-Actor-Token' } },
      },
      { id: 'reports', method: 'ANY', path: '/reports/{proxy+}', upstream: `${upstreamBase}/svc`, acceptedIssuers: ['legacy'] },
    ],
  });
}

let upstream: EchoUpstream;
let forwarder: UpstreamForwarder;
let binding: RouteBinding;
const latencies: number[] = [];
const metrics: MetricSink = { count: () => undefined, timing: (name, ms) => name === 'UpstreamLatency' && latencies.push(ms), flush: () => undefined };

beforeAll(async () => {
  upstream = await startEchoUpstream();
  forwarder = new UpstreamForwarder({ timeouts, metrics });
  binding = new RouteBinding(configFor(upstream.url));
});
afterEach(() => {
  upstream.respondWith(undefined);
  upstream.requests.length = 0;
});
afterAll(async () => {
  forwarder.destroy();
  await upstream.close();
});

const v1 = () => loadExchangeEvent('rest-api-v1');
const v2 = () => loadExchangeEvent('http-api-v2');

async function forward(event: MutableEvent, bearerToken = 'issued-token', using = forwarder): Promise<{ request: ProxyRequest; response: UpstreamResponse }> {
  const request = parseProxyEvent(event, eventOptions);
  const response = await using.forward(binding.routeOf(request), request, { bearerToken });
  return { request, response };
}

function echoed(response: UpstreamResponse): EchoedRequest {
  return JSON.parse(response.body.toString('utf8')) as EchoedRequest;
}

describe('forwarding a REST (payload 1.0) request', () => {
  it('sends method, concrete path under the base path, and every query value', async () => {
    const { response } = await forward(v1());
    const seen = echoed(response);
    expect(seen.method).toBe('GET');
    expect(seen.path).toBe('/svc/orders/42');
    expect(seen.query).toBe('fields=id&fields=status&expand=items');
  });

  it('sends a percent-encoded REST path parameter encoded exactly once', async () => {
    const event = v1();
    event['pathParameters']['id'] = 'a%20b%2Fc';
    event['path'] = '/orders/a%20b%2Fc';
    expect(echoed((await forward(event)).response).path).toBe('/svc/orders/a%20b%2Fc');
  });

  it('replaces the caller credential with the issued token and adds X-Forwarded-*', async () => {
    const seen = echoed((await forward(v1())).response);
    expect(seen.headers['authorization']).toEqual(['Bearer issued-token']);
    expect(seen.headers['x-forwarded-for']).toEqual(['203.0.113.7, 198.51.100.23']);
    expect(seen.headers['x-forwarded-proto']).toEqual(['https']);
    expect(seen.headers['x-forwarded-host']).toEqual(['api.example.com']);
    expect(seen.headers['host']).toEqual([`127.0.0.1:${upstream.port}`]);
  });

  it('forwards repeated headers and cookies, and none of the gateway internals', async () => {
    const seen = echoed((await forward(v1())).response);
    expect(seen.headers['x-request-tag']).toEqual(['a', 'b']);
    expect(seen.headers['cookie']).toEqual(['session=abc123; theme=dark']);
    expect(seen.headers['x-amzn-trace-id']).toEqual(['Root=1-67891233-abcdef012345678912345678']);
    for (const name of ['via', 'x-amz-cf-id', 'cloudfront-viewer-country', 'cloudfront-forwarded-proto', 'x-forwarded-port']) {
      expect(seen.headers[name]).toBeUndefined();
    }
  });

  it('drops hop-by-hop headers, the ones Connection names, and the actor header', async () => {
    const event = v1();
    event['multiValueHeaders']['Connection'] = ['keep-alive, X-Hop-Only'];
    event['multiValueHeaders']['X-Hop-Only'] = ['1'];
    event['multiValueHeaders']['Keep-Alive'] = ['timeout=5'];
    event['multiValueHeaders']['Upgrade'] = ['websocket'];
    event['multiValueHeaders']['Proxy-Authorization'] = ['Basic cHJveHk6cGFzcw=='];
    event['multiValueHeaders']['X-Actor-Token'] = ['actor-credential'];
    const seen = echoed((await forward(event)).response);
    for (const name of ['x-hop-only', 'keep-alive', 'upgrade', 'proxy-authorization', 'x-actor-token']) expect(seen.headers[name]).toBeUndefined();
    // Node's agent speaks keep-alive on its own connection.
    expect(seen.headers['connection']).toEqual(['keep-alive']);
  });

  it('lets the upstream see the claims of the token it receives', async () => {
    const jwt = await new SignJWT({ scope: 'orders:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://login.corp.example')
      .setSubject('user-7f3a')
      .sign(new TextEncoder().encode('test-signing-key-of-32-bytes!!!!'));
    const seen = echoed((await forward(v1(), jwt)).response);
    expect(seen.claims).toMatchObject({ iss: 'https://login.corp.example', sub: 'user-7f3a', scope: 'orders:read' });
  });

  it('answers in the REST format with the upstream status and headers', async () => {
    const { request, response } = await forward(v1());
    const result = proxyResult(request.version, response) as APIGatewayProxyResult;
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/json');
    expect(result.isBase64Encoded).toBe(false);
    expect(JSON.parse(result.body)).toMatchObject({ path: '/svc/orders/42' });
  });
});

describe('forwarding an HTTP API (payload 2.0) request', () => {
  it('sends the binary body byte for byte with the caller token on a passthrough', async () => {
    const { response } = await forward(v2(), 'placeholder-legacy-opaque-token');
    const seen = echoed(response);
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/svc/reports/2026/q3/summary.pdf');
    expect(seen.query).toBe('format=pdf&lang=en&lang=de');
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(Buffer.from('AAECA//+/fxnYXRlcGFzcw==', 'base64'))).toBe(true);
    expect(seen.headers['content-length']).toEqual(['16']);
    expect(seen.headers['cookie']).toEqual(['session=abc123; theme=dark']);
    expect(seen.headers['authorization']).toEqual(['Bearer placeholder-legacy-opaque-token']);
  });

  it('sends a large random body intact', async () => {
    const event = v2();
    const bytes = randomBytes(2 * 1024 * 1024);
    event['body'] = bytes.toString('base64');
    const seen = echoed((await forward(event)).response);
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(bytes)).toBe(true);
  });

  it('refuses a path parameter that climbs out of the route and sends nothing', async () => {
    for (const proxy of ['../../admin', 'a/%2e%2e/%2e%2e/admin', '..%2f..%2fadmin']) {
      const event = v2();
      event['pathParameters']['proxy'] = proxy;
      expect((await gatepassFailure(forward(event))).code).toBe('request_invalid');
    }
    expect(upstream.requests).toEqual([]);
  });
});

describe('upstream answers', () => {
  it('come back binary-safe, base64 in both formats', async () => {
    const bytes = randomBytes(70_000);
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(bytes);
      return true;
    });
    for (const event of [v1(), v2()]) {
      const { request, response } = await forward(event);
      const result = proxyResult(request.version, response);
      expect(result.isBase64Encoded).toBe(true);
      expect(Buffer.from(result.body!, 'base64').equals(bytes)).toBe(true);
    }
  });

  it('keep every Set-Cookie: multiValueHeaders for REST, cookies for HTTP API', async () => {
    upstream.respondWith((_req, res) => {
      res.setHeader('set-cookie', ['a=1; Path=/; HttpOnly', 'b=2; Secure']);
      res.setHeader('content-type', 'text/plain');
      res.end('ok');
      return true;
    });
    const rest = await forward(v1());
    expect((proxyResult('v1', rest.response) as APIGatewayProxyResult).multiValueHeaders?.['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Secure']);
    const http = await forward(v2());
    const result = proxyResult('v2', http.response) as APIGatewayProxyStructuredResultV2;
    expect(result.cookies).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Secure']);
    expect(result.headers?.['set-cookie']).toBeUndefined();
    expect(result.body).toBe('ok');
  });

  it('lose their hop-by-hop headers', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { connection: 'keep-alive, x-upstream-hop', 'x-upstream-hop': '1', 'keep-alive': 'timeout=5', 'content-type': 'text/plain', 'x-kept': 'yes' });
      res.write('chunked ');
      res.end('body');
      return true;
    });
    const { response } = await forward(v1());
    expect([...response.headers.keys()].sort()).toEqual(['content-type', 'date', 'x-kept']);
    expect(response.body.toString()).toBe('chunked body');
  });

  it('are returned as they are for redirects, which are never followed', async () => {
    upstream.respondWith((req, res) => {
      if (req.url?.startsWith('/elsewhere')) return false;
      res.writeHead(302, { location: `${upstream.url}/elsewhere` });
      res.end();
      return true;
    });
    const { response } = await forward(v1());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toEqual([`${upstream.url}/elsewhere`]);
    expect(upstream.requests).toHaveLength(1);
  });

  it('flag a 401 so the handler can exchange once more', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end();
      return true;
    });
    const { response } = await forward(v1());
    expect(response.status).toBe(401);
    expect(response.tokenRejected).toBe(true);
    upstream.respondWith(undefined);
    expect((await forward(v1())).response.tokenRejected).toBe(false);
  });

  it('answer HEAD with the Content-Length of a GET larger than a Lambda response can carry', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(MAX_UPSTREAM_BODY_BYTES + 1) });
      res.end();
      return true;
    });
    const event = v2();
    event['requestContext']['http']['method'] = 'HEAD';
    event['body'] = undefined;
    const { response } = await forward(event);
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(0);
  });

  it('have no body for HEAD', async () => {
    const event = v2();
    event['requestContext']['http']['method'] = 'HEAD';
    event['body'] = undefined;
    const { response } = await forward(event);
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(0);
    expect(upstream.requests[0]!.method).toBe('HEAD');
  });
});

describe('server-sent event streams (MCP streamable HTTP, docs/design.md "MCP servers")', () => {
  const event = (n: number) => `id: ${n}\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":${n}}}\n\n`;

  it('return a text/event-stream answer whole, as text, once the server ends it', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 's-1' });
      let n = 0;
      const tick = setInterval(() => {
        n += 1;
        if (n < 5) res.write(event(n));
        else {
          clearInterval(tick);
          res.end(event(n));
        }
      }, 20);
      return true;
    });
    const { request, response } = await forward(v2());
    expect(response.body.toString()).toBe([1, 2, 3, 4, 5].map(event).join(''));
    const result = proxyResult(request.version, response) as APIGatewayProxyStructuredResultV2;
    expect(result.isBase64Encoded).toBe(false);
    expect(result.headers?.['mcp-session-id']).toBe('s-1');
  });

  it('answer upstream_timeout for a stream the server never ends: nothing is relayed before the end', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(event(1));
      return true;
    });
    const started = Date.now();
    expect((await gatepassFailure(forward(v1()))).code).toBe('upstream_timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeouts.timeoutMs - 20);
  });

  it('answer upstream_unavailable for a stream that grows past what a Lambda response can carry', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = `data: ${'x'.repeat(256 * 1024)}\n\n`;
      for (let sent = 0; sent <= MAX_UPSTREAM_BODY_BYTES; sent += chunk.length) res.write(chunk);
      res.end();
      return true;
    });
    expect((await gatepassFailure(forward(v1()))).code).toBe('upstream_unavailable');
  });
});

describe('limits and failures', () => {
  it('answer upstream_timeout when the upstream never answers', async () => {
    upstream.respondWith(() => true);
    const started = Date.now();
    const error = await gatepassFailure(forward(v1()));
    expect(error.code).toBe('upstream_timeout');
    expect(error.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeouts.timeoutMs - 20);
    expect(Date.now() - started).toBeLessThan(timeouts.timeoutMs + 400);
  });

  it('answer upstream_timeout when the body stalls half way', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('partial');
      return true;
    });
    expect((await gatepassFailure(forward(v1()))).code).toBe('upstream_timeout');
  });

  it('honour a deadline tighter than the configured timeout', async () => {
    upstream.respondWith(() => true);
    const request = parseProxyEvent(v1(), eventOptions);
    const started = Date.now();
    const error = await gatepassFailure(forwarder.forward(binding.routeOf(request), request, { bearerToken: 't', deadline: started + 100 }));
    expect(error.code).toBe('upstream_timeout');
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('answer upstream_unavailable when the connection is refused', async () => {
    const port = await closedPort();
    const refused = new UpstreamForwarder({ timeouts });
    const request = parseProxyEvent(v1(), eventOptions);
    const route = { ...binding.routeOf(request), upstream: `http://127.0.0.1:${port}` } as RouteConfig;
    const error = await gatepassFailure(refused.forward(route, request, { bearerToken: 't' }));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.status).toBe(502);
    refused.destroy();
  });

  it('answer upstream_timeout when the connection cannot be made in time', async () => {
    const stalled = await startStalledListener();
    const local = new UpstreamForwarder({ timeouts: { connectTimeoutMs: 150, timeoutMs: 2000 } });
    try {
      const request = parseProxyEvent(v1(), eventOptions);
      const route = { ...binding.routeOf(request), upstream: `http://127.0.0.1:${stalled.port}` } as RouteConfig;
      const started = Date.now();
      const error = await gatepassFailure(local.forward(route, request, { bearerToken: 't' }));
      expect(error.code).toBe('upstream_timeout');
      expect(error.message).toMatch(/could not connect/);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      local.destroy();
      stalled.close();
    }
  });

  it('refuse an answer announced larger than a Lambda response can carry, without reading it', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(MAX_UPSTREAM_BODY_BYTES + 1) });
      res.write(Buffer.alloc(1024));
      return true;
    });
    const error = await gatepassFailure(forward(v1()));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toMatch(/6 MB/);
  });

  it('refuse a streamed answer once it grows past the limit', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(256 * 1024, 7);
      for (let sent = 0; sent <= MAX_UPSTREAM_BODY_BYTES; sent += chunk.length) res.write(chunk);
      res.end();
      return true;
    });
    expect((await gatepassFailure(forward(v1()))).code).toBe('upstream_unavailable');
  });

  it('return an answer of exactly the limit as a result that fits in 6 MB after base64', async () => {
    const bytes = randomBytes(MAX_UPSTREAM_BODY_BYTES);
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(bytes);
      return true;
    });
    const { request, response } = await forward(v2());
    const serialised = JSON.stringify(proxyResult(request.version, response));
    expect(response.body.length).toBe(MAX_UPSTREAM_BODY_BYTES);
    expect(Buffer.byteLength(serialised)).toBeLessThanOrEqual(LAMBDA_RESPONSE_LIMIT_BYTES);
  });

  it('report the upstream latency of every call', async () => {
    latencies.length = 0;
    await forward(v1());
    expect(latencies).toHaveLength(1);
    expect(latencies[0]).toBeGreaterThanOrEqual(0);
  });
});

describe('connections', () => {
  it('are kept alive and reused across requests', async () => {
    const before = upstream.connections;
    for (let i = 0; i < 5; i++) await forward(v1());
    expect(upstream.connections - before).toBeLessThanOrEqual(1);
  });

  describe('when the upstream drops an idle keep-alive connection', () => {
    let server: TcpServer;
    let port: number;
    const sockets: Socket[] = [];
    const response = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok';

    beforeAll(async () => {
      // Answers the first request of each connection, then resets it on the next one.
      server = createTcpServer((socket) => {
        sockets.push(socket);
        let answered = false;
        let buffered = '';
        socket.on('data', (data) => {
          buffered += data.toString('latin1');
          if (!buffered.includes('\r\n\r\n')) return;
          buffered = '';
          if (answered) socket.resetAndDestroy();
          else {
            answered = true;
            socket.write(response);
          }
        });
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const viaResettingServer = async (local: UpstreamForwarder, method: string) => {
      const event = v2();
      event['requestContext']['http']['method'] = method;
      event['body'] = undefined;
      const request = parseProxyEvent(withBearerToken(event, 'placeholder-legacy-opaque-token'), eventOptions);
      const route = { ...binding.routeOf(request), upstream: `http://127.0.0.1:${port}` } as RouteConfig;
      return local.forward(route, request, { bearerToken: 't' });
    };

    it('retries an idempotent request once on a fresh connection', async () => {
      const local = new UpstreamForwarder({ timeouts });
      await viaResettingServer(local, 'GET');
      const before = sockets.length;
      const second = await viaResettingServer(local, 'GET');
      expect(second.status).toBe(200);
      expect(second.body.toString()).toBe('ok');
      expect(sockets.length - before).toBe(1);
      local.destroy();
    });

    it('does not replay a POST', async () => {
      const local = new UpstreamForwarder({ timeouts });
      await viaResettingServer(local, 'GET');
      expect((await gatepassFailure(viaResettingServer(local, 'POST'))).code).toBe('upstream_unavailable');
      local.destroy();
    });
  });
});
