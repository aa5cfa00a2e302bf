import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Authorizer } from '../../../functions/authorizer/authorizer.js';
import type { EncodedAuthorizerContext } from '../../../functions/shared/contracts/authorizer-context.js';
import { parseConfig } from '../../../functions/shared/config/config-validator.js';
import { httpApiEvent } from '../../support/authorizer-events.js';
import { staticSecrets } from '../../support/authorizer-harness.js';
import { silentLog, silentMetrics } from '../../../functions/shared/telemetry/telemetry-sinks.js';
import { captureOutput, type CapturedOutput } from '../../support/captured-output.js';
import { CACHE_KEY_SECRET_ID, startExchangeAws, type ExchangeAws } from '../../support/exchange-aws.js';
import type { LocalDynamo } from '../../../fakes/dynalite.js';
import type { EchoUpstream } from '../../../fakes/echo-upstream.js';
import { JwksServer } from '../../../fakes/jwks-server.js';
import { startOAuthServer, type OAuthServer } from '../../../fakes/oauth-server/oauth-server.js';
import { proxyEventV1, proxyEventV2 } from '../../support/proxy-events.js';
import { closedPort } from '../../support/stalled-listener.js';
import { generateTestKey, mintJwt, type TestKey } from '../../support/token-minter.js';

/**
 * The exchange Lambda's handler module, end to end on loopback: the real authorizer
 * decides, the real handler exchanges at a real oidc-provider, caches in dynalite,
 * reads secrets from the loopback Secrets Manager and forwards to an echo upstream.
 */

const PARTNER_ISSUER = 'https://idp.partner.example';
const API_AUD = 'https://api.example.com';
const CLIENT_SECRET = 'gp-s3cret-canary-7f3a';
const CACHE_KEY = 'cache-key-material-canary-'.padEnd(64, 'k');

type Handler = (event: unknown) => Promise<{ statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean; multiValueHeaders?: Record<string, string[]> }>;

let partnerIdp: JwksServer;
let partnerKey: TestKey;
let as: OAuthServer;
let aws: ExchangeAws;
let dynamo: LocalDynamo;
let echo: EchoUpstream;
let authorizer: Authorizer;
let output: CapturedOutput;
let handler: Handler;
const savedEnv = { ...process.env };

function configDocument(downPort: number) {
  return {
    version: 1,
    insecureLoopbackHttp: true,
    issuers: {
      partner: { issuer: PARTNER_ISSUER, jwksUri: partnerIdp.jwksUri, audiences: [API_AUD] },
      corp: { issuer: as.issuer, jwksUri: as.jwksUri },
    },
    authorizationServers: {
      corp: { issuer: as.issuer, tokenEndpoint: as.tokenEndpoint, clientSecretId: 'gatepass/corp-exchange' },
      down: { issuer: 'https://down.example', tokenEndpoint: `http://127.0.0.1:${downPort}/token`, clientSecretId: 'gatepass/corp-exchange' },
    },
    routes: [
      {
        id: 'orders-read',
        method: 'GET',
        path: '/orders/{id}',
        upstream: `${echo.url}/svc`,
        acceptedIssuers: ['partner', 'corp'],
        requiredScopes: ['orders:read'],
        exchange: {
          authorizationServer: 'corp',
          sameIssuerWhen: { hasScopes: ['orders:admin'] },
          audience: ['orders'],
          scope: ['orders:read'],
          flow: 'federation',
          owner: 'orders-team',
        },
      },
      { id: 'health', method: 'GET', path: '/health', upstream: `${echo.url}/svc`, acceptedIssuers: ['corp'] },
      {
        id: 'legacy-orders',
        method: 'GET',
        path: '/legacy/{id}',
        upstream: `${echo.url}/legacy`,
        acceptedIssuers: ['partner'],
        exchange: { authorizationServer: 'down', scope: ['orders:read'] },
      },
    ],
    // Generous budgets: no test here waits one out (the down server and the stopped table refuse at once), and a
    // loaded CI machine must not turn a slow success into a fallback (a table read past its timeout is a cache miss).
    settings: { exchange: { connectTimeoutMs: 2000, requestTimeoutMs: 5000, deadlineMs: 10000, maxAttempts: 2 }, cache: { tableTimeoutMs: 3000 } },
  };
}

/** A fresh handler module: what a new Lambda container would load. */
async function newContainer(): Promise<Handler> {
  vi.resetModules();
  return ((await import('../../../functions/exchange/handler.js')) as { handler: Handler }).handler;
}

async function contextFor(token: string, method: string, resource: string): Promise<EncodedAuthorizerContext> {
  const result = (await authorizer.handle(httpApiEvent({ method, path: resource, authorization: `Bearer ${token}` }))) as { isAuthorized: boolean; context: EncodedAuthorizerContext };
  expect(result.isAuthorized).toBe(true);
  return result.context;
}

async function getOrder(call: Handler, token: string, format: 'v1' | 'v2' = 'v2', id = '42') {
  const context = await contextFor(token, 'GET', '/orders/{id}');
  const input = { method: 'GET', resource: '/orders/{id}', path: `/orders/${id}`, pathParameters: { id }, headers: { authorization: `Bearer ${token}` }, query: 'expand=items', context };
  return call(format === 'v2' ? proxyEventV2(input) : proxyEventV1(input));
}

const partnerToken = (claims: Record<string, unknown> = {}) =>
  mintJwt(partnerKey, { iss: PARTNER_ISSUER, sub: 'alice', aud: API_AUD, client_id: 'partner-app', scope: 'orders:read', ...claims }, { expiresIn: 600 });

const decisions = () => output.records().filter((r) => r['message'] === 'exchange.decision');
const lastDecision = () => decisions().at(-1);

beforeAll(async () => {
  partnerIdp = await new JwksServer().start();
  partnerKey = await generateTestKey('RS256');
  partnerIdp.behaviour = { keys: [partnerKey.publicJwk] };
  as = await startOAuthServer({
    trustedIssuers: [{ issuer: PARTNER_ISSUER, jwksUri: partnerIdp.jwksUri, audiences: [API_AUD] }],
    clients: [{ clientId: 'gatepass', auth: 'client_secret_basic', clientSecret: CLIENT_SECRET }],
    resourceServers: [{ identifier: 'https://orders.example', audience: 'orders', scopes: ['orders:read', 'orders:admin'] }],
  });
  aws = await startExchangeAws({ 'gatepass/corp-exchange': { client_id: 'gatepass', client_secret: CLIENT_SECRET }, [CACHE_KEY_SECRET_ID]: CACHE_KEY });
  ({ dynamo, echo } = aws);
  const document = configDocument(await closedPort());
  authorizer = new Authorizer(parseConfig(document), { log: silentLog, metrics: silentMetrics, readSecret: staticSecrets({}) });
  Object.assign(process.env, aws.env, { GATEPASS_CONFIG: JSON.stringify(document) });
  output = captureOutput();
  handler = await newContainer();
});

afterAll(async () => {
  output.restore();
  process.env = { ...savedEnv };
  await Promise.all([partnerIdp.stop(), as.stop(), aws.stop()]);
});

describe('exchange handler', () => {
  it('exchanges a partner token at the corporate server and forwards the issued token (HTTP API v2)', async () => {
    const token = await partnerToken();
    const before = as.calls.token;
    const answer = await getOrder(handler, token);
    expect(answer.statusCode).toBe(200);
    expect(as.calls.token).toBe(before + 1);
    const received = echo.requests.at(-1)!;
    expect(received.path).toBe('/svc/orders/42');
    expect(received.query).toBe('expand=items');
    expect(received.claims).toMatchObject({ iss: as.issuer, sub: 'alice', aud: 'orders', scope: 'orders:read' });
    expect(received.headers['authorization']?.[0]).not.toContain(token);
    expect(lastDecision()).toMatchObject({ outcome: 'ok', route: 'orders-read', action: 'exchange', issuer: 'partner', cacheLayer: 'miss', authorizationServer: 'corp', grantedScope: 'orders:read', flow: 'federation', owner: 'orders-team', narrowingFlow: 'federation' });
    // The corporate issuer's jwksUri verifies what the corporate server issues.
    expect(lastDecision()?.['issuedTokenVerified']).toBe('signature');
  });

  it('answers a repeated request from memory and, in a new container, from the table', async () => {
    const token = await partnerToken({ sub: 'bob' });
    await getOrder(handler, token);
    const calls = as.calls.token;
    expect((await getOrder(handler, token)).statusCode).toBe(200);
    expect(lastDecision()?.['cacheLayer']).toBe('memory');
    const restarted = await newContainer();
    expect((await getOrder(restarted, token)).statusCode).toBe(200);
    expect(lastDecision()?.['cacheLayer']).toBe('table');
    expect(as.calls.token).toBe(calls);
  });

  it('downscopes a same-issuer token when sameIssuerWhen matches, and passes one through when not', async () => {
    const admin = await as.mint({ sub: 'carol', scope: 'orders:read orders:admin', aud: 'orders' });
    expect((await getOrder(handler, admin)).statusCode).toBe(200);
    const received = echo.requests.at(-1)!;
    expect(received.claims).toMatchObject({ iss: as.issuer, sub: 'carol', scope: 'orders:read' });
    // The route's explicit flow sets the limit for same-issuer tokens too: the requested scope only.
    expect(lastDecision()).toMatchObject({ action: 'exchange', issuer: 'corp', narrowingFlow: 'federation' });

    const reader = await as.mint({ sub: 'dave', scope: 'orders:read', aud: 'orders' });
    const calls = as.calls.token;
    expect((await getOrder(handler, reader)).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.headers['authorization']).toEqual([`Bearer ${reader}`]);
    expect(lastDecision()).toMatchObject({ action: 'passthrough' });
    expect(as.calls.token).toBe(calls);
  });

  it('passes the original token through on a route without exchange', async () => {
    const token = await as.mint({ sub: 'erin', scope: 'ops' });
    const context = await contextFor(token, 'GET', '/health');
    const answer = await handler(proxyEventV2({ method: 'GET', resource: '/health', path: '/health', headers: { authorization: `Bearer ${token}` }, context }));
    expect(answer.statusCode).toBe(200);
    expect(echo.requests.at(-1)!.headers['authorization']).toEqual([`Bearer ${token}`]);
  });

  it('serves REST API v1 events with multi-value headers', async () => {
    const answer = await getOrder(handler, await partnerToken({ sub: 'frank' }), 'v1', '7');
    expect(answer.statusCode).toBe(200);
    expect(answer.multiValueHeaders).toBeDefined();
    expect(echo.requests.at(-1)!.path).toBe('/svc/orders/7');
  });

  it('still answers 200 by exchanging directly when DynamoDB is down', async () => {
    await dynamo.stop();
    try {
      const fresh = await newContainer();
      const calls = as.calls.token;
      expect((await getOrder(fresh, await partnerToken({ sub: 'grace' }))).statusCode).toBe(200);
      expect(as.calls.token).toBe(calls + 1);
      expect(output.text()).toMatch(/CacheTableError/);
    } finally {
      await dynamo.restart();
    }
  });

  it('makes one token endpoint call for 100 concurrent identical requests', async () => {
    const fresh = await newContainer();
    const token = await partnerToken({ sub: 'heidi' });
    const context = await contextFor(token, 'GET', '/orders/{id}');
    const event = () => proxyEventV2({ method: 'GET', resource: '/orders/{id}', path: '/orders/1', pathParameters: { id: '1' }, headers: { authorization: `Bearer ${token}` }, context });
    const calls = as.calls.token;
    const answers = await Promise.all(Array.from({ length: 100 }, () => fresh(event())));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(as.calls.token - calls).toBe(1);
  });

  it('re-exchanges once when the upstream refuses a cached token', async () => {
    const token = await partnerToken({ sub: 'ivan' });
    await getOrder(handler, token);
    const refused = echo.requests.at(-1)!.headers['authorization']![0]!;
    echo.respondWith((req, res) => {
      if (req.headers.authorization !== refused) return false;
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
      return true;
    });
    try {
      const calls = as.calls.token;
      const answer = await getOrder(handler, token);
      expect(answer.statusCode).toBe(200);
      expect(as.calls.token).toBe(calls + 1);
      expect(lastDecision()).toMatchObject({ outcome: 'ok', reExchanged: true });
      expect(echo.requests.at(-1)!.headers['authorization']![0]).not.toBe(refused);
    } finally {
      echo.respondWith(undefined);
    }
  });

  it('answers 503 exchange_unavailable with Retry-After when the token endpoint is down', async () => {
    const token = await partnerToken({ sub: 'judy' });
    const context = await contextFor(token, 'GET', '/legacy/{id}');
    const answer = await handler(proxyEventV2({ method: 'GET', resource: '/legacy/{id}', path: '/legacy/1', pathParameters: { id: '1' }, headers: { authorization: `Bearer ${token}` }, context }));
    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['content-type']).toBe('application/problem+json');
    expect(Number(answer.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(answer.body!)).toMatchObject({ code: 'exchange_unavailable', status: 503 });
    expect(lastDecision()).toMatchObject({ outcome: 'exchange_unavailable', status: 503 });
  });

  it('refuses a request whose token does not match the authorizer decision', async () => {
    const token = await partnerToken({ sub: 'mallory' });
    const context = await contextFor(token, 'GET', '/orders/{id}');
    const other = await partnerToken({ sub: 'mallory2' });
    const answer = await handler(proxyEventV2({ method: 'GET', resource: '/orders/{id}', path: '/orders/1', pathParameters: { id: '1' }, headers: { authorization: `Bearer ${other}` }, context }));
    expect(answer.statusCode).toBe(401);
    expect(JSON.parse(answer.body!)).toMatchObject({ code: 'token_invalid' });
  });

  it('has the redaction net on its logger: a JWT-shaped value that reaches a log line is redacted', async () => {
    const canaryJwt = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJleGNoYW5nZS1jYW5hcnkifQ.Y2FuYXJ5';
    const token = await partnerToken();
    const context = await contextFor(token, 'GET', '/orders/{id}');
    const start = output.text().length;
    await handler(proxyEventV2({ method: 'GET', resource: '/orders/{id}', path: '/orders/1', pathParameters: { id: '1' }, headers: { authorization: `Bearer ${token}` }, context: { ...context, subject: canaryJwt } }));
    const written = output.text().slice(start);
    expect(written).toContain('exchange.decision');
    expect(written).toContain('[redacted]');
    expect(written).not.toContain(canaryJwt);
  });

  it('never writes a token, the client secret or the cache key to its output', async () => {
    const text = output.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [CLIENT_SECRET, CACHE_KEY]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(secret).toString('base64'));
      expect(text).not.toContain(encodeURIComponent(secret));
    }
    for (const request of echo.requests) {
      const sent = request.headers['authorization']?.[0]?.replace(/^Bearer /, '');
      if (sent) expect(text).not.toContain(sent.split('.')[2] ?? sent);
    }
  });
});
