import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthProtectedResourceMetadataSchema } from '@modelcontextprotocol/sdk/shared/auth.js';
import { tokenIdOf } from '../../../functions/shared/token-id.js';
import type { EchoUpstream } from '../../../fakes/echo-upstream.js';
import { JwksServer } from '../../../fakes/jwks-server.js';
import { startOAuthServer, type OAuthServer } from '../../../fakes/oauth-server/oauth-server.js';
import { captureOutput, type CapturedOutput } from '../../support/captured-output.js';
import { CACHE_KEY_SECRET_ID, startExchangeAws, type ExchangeAws } from '../../support/exchange-aws.js';
import { proxyEventV1, proxyEventV2, type ProxyInput } from '../../support/proxy-events.js';
import { generateTestKey, mintJwt, type TestKey } from '../../support/token-minter.js';

/**
 * The MCP authorization spec's MUSTs for a resource server, one named test each, run against
 * the exchange function's handler module (a fresh import is a fresh Lambda container) on
 * loopback: a partner IdP's JWKS server, a real oidc-provider as the corporate authorization
 * server (RFC 8693 grant), dynalite, the Secrets Manager stand-in and an echo upstream that
 * stands for the MCP server. Both event formats: HTTP API payload 2.0 and REST payload 1.0.
 *
 * Spec text (both revisions say the same for these points unless noted):
 * - 2025-06-18: modelcontextprotocol/modelcontextprotocol docs/specification/2025-06-18/basic/authorization.mdx
 * - 2025-11-25: modelcontextprotocol/modelcontextprotocol docs/specification/2025-11-25/basic/authorization.mdx
 * Quoted as [06-18 §section] / [11-25 §section].
 */

const PARTNER_ISSUER = 'https://idp.partner.example';
const OTHER_ISSUER = 'https://idp.other.example';
const MCP_RESOURCE = 'https://api.example.com/mcp';
const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp';
const METADATA_URL = `https://api.example.com${METADATA_PATH}`;
const CLIENT_SECRET = 'gp-mcp-s3cret-canary-41c2';
const CACHE_KEY = 'cache-key-material-canary-'.padEnd(64, 'm');

type Result = { statusCode: number; headers?: Record<string, string>; multiValueHeaders?: Record<string, string[]>; body?: string; isBase64Encoded?: boolean };
type Handler = (event: unknown) => Promise<Result>;

let partnerIdp: JwksServer;
let partnerKey: TestKey;
let as: OAuthServer;
let aws: ExchangeAws;
let echo: EchoUpstream;
let output: CapturedOutput;
let handler: Handler;
const savedEnv = { ...process.env };

function configDocument() {
  return {
    version: 1,
    insecureLoopbackHttp: true,
    issuers: {
      partner: { issuer: PARTNER_ISSUER, jwksUri: partnerIdp.jwksUri },
      // Configured, but accepted on no MCP route: its tokens are issuer_not_accepted there.
      other: { issuer: OTHER_ISSUER, jwksUri: partnerIdp.jwksUri },
      corp: { issuer: as.issuer, jwksUri: as.jwksUri },
    },
    authorizationServers: {
      corp: { issuer: as.issuer, tokenEndpoint: as.tokenEndpoint, clientSecretId: 'gatepass/corp-exchange' },
    },
    routes: [
      {
        id: 'mcp',
        method: 'ANY',
        path: '/mcp',
        upstream: `${echo.url}/upstream`,
        acceptedIssuers: ['partner', 'corp'],
        requiredScopes: ['mcp:tools'],
        mcp: { resource: MCP_RESOURCE, scopesSupported: ['mcp:tools'], resourceName: 'Orders MCP server' },
        exchange: { authorizationServer: 'corp', audience: ['orders-mcp'], scope: ['mcp:tools'] },
      },
      {
        id: 'mcp-open',
        method: 'ANY',
        path: '/mcp-open',
        upstream: `${echo.url}/open`,
        acceptedIssuers: ['corp'],
        mcp: { resource: 'https://api.example.com/mcp-open' },
      },
      { id: 'orders', method: 'GET', path: '/orders/{id}', upstream: `${echo.url}/orders`, acceptedIssuers: ['partner'] },
    ],
  };
}

async function newContainer(): Promise<Handler> {
  vi.resetModules();
  return ((await import('../../../functions/exchange/handler.js')) as { handler: Handler }).handler;
}

const FORMATS = [
  { name: 'HTTP API v2', event: proxyEventV2 },
  { name: 'REST API v1', event: proxyEventV1 },
] as const;
type Format = (typeof FORMATS)[number];

/** A header of a result, whichever shape (v1 single/multi, v2) it came in. */
function header(result: Result, name: string): string | undefined {
  return result.headers?.[name] ?? result.multiValueHeaders?.[name]?.join(', ');
}

function mcpEvent(format: Format, init: { method?: string; token?: string; headers?: Record<string, string>; body?: string; context?: ProxyInput['context']; query?: string } = {}) {
  const method = init.method ?? 'POST';
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(init.headers ?? {}) };
  if (init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`;
  return format.event({
    method,
    routeMethod: 'ANY',
    resource: '/mcp',
    path: '/mcp',
    headers,
    body: Buffer.from(init.body ?? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })),
    ...(init.query ? { query: init.query } : {}),
    ...(init.context ? { context: init.context } : {}),
  });
}

function metadataEvent(format: Format, method = 'GET', path = METADATA_PATH) {
  return format.event({ method, routeMethod: 'GET', resource: path, path });
}

const partnerToken = (claims: Record<string, unknown> = {}, expiresIn = 600) =>
  mintJwt(partnerKey, { iss: PARTNER_ISSUER, sub: 'alice', aud: MCP_RESOURCE, client_id: 'mcp-client', scope: 'mcp:tools', ...claims }, { expiresIn });

const decisions = () => output.records().filter((r) => r['message'] === 'exchange.decision');
const lastDecision = () => decisions().at(-1);

/** Asserts a 401 challenge per RFC 6750 §3 and RFC 9728 §5.1, and returns the problem body. */
function expectChallenge(result: Result, presented: boolean): Record<string, unknown> {
  expect(result.statusCode).toBe(401);
  const challenge = header(result, 'www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain(`resource_metadata="${METADATA_URL}"`);
  if (presented) expect(challenge).toContain('error="invalid_token"');
  else expect(challenge).not.toContain('error=');
  expect(header(result, 'content-type')).toBe('application/problem+json');
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}

beforeAll(async () => {
  partnerIdp = await new JwksServer().start();
  partnerKey = await generateTestKey('RS256');
  partnerIdp.behaviour = { keys: [partnerKey.publicJwk] };
  as = await startOAuthServer({
    trustedIssuers: [{ issuer: PARTNER_ISSUER, jwksUri: partnerIdp.jwksUri, audiences: [MCP_RESOURCE] }],
    clients: [{ clientId: 'gatepass', auth: 'client_secret_basic', clientSecret: CLIENT_SECRET }],
    resourceServers: [{ identifier: 'https://orders-mcp.internal.example', audience: 'orders-mcp', scopes: ['mcp:tools'] }],
  });
  aws = await startExchangeAws({ 'gatepass/corp-exchange': { client_id: 'gatepass', client_secret: CLIENT_SECRET }, [CACHE_KEY_SECRET_ID]: CACHE_KEY });
  ({ echo } = aws);
  Object.assign(process.env, aws.env, { GATEPASS_CONFIG: JSON.stringify(configDocument()) });
  output = captureOutput();
  handler = await newContainer();
});

afterAll(async () => {
  output.restore();
  process.env = { ...savedEnv };
  await Promise.all([partnerIdp.stop(), as.stop(), aws.stop()]);
});

describe.each(FORMATS)('MCP authorization spec, resource server MUSTs ($name)', (format) => {
  // [06-18 §Authorization Server Location] "MCP servers MUST use the HTTP header WWW-Authenticate when returning
  // a 401 Unauthorized to indicate the location of the resource server metadata URL" (RFC 9728 §5.1);
  // [11-25 §Protected Resource Metadata Discovery Requirements] mechanism 1, "WWW-Authenticate Header".
  it('MUST: discovery through WWW-Authenticate: a 401 names resource_metadata, and that URL serves the metadata', async () => {
    const forwarded = echo.requests.length;
    const refused = await handler(mcpEvent(format));
    const problem = expectChallenge(refused, false);
    expect(problem).toMatchObject({ code: 'token_missing', status: 401 });
    const url = new URL(/resource_metadata="([^"]+)"/.exec(header(refused, 'www-authenticate') ?? '')![1]!);
    const metadata = await handler(metadataEvent(format, 'GET', url.pathname));
    expect(metadata.statusCode).toBe(200);
    expect(JSON.parse(metadata.body!)).toMatchObject({ resource: MCP_RESOURCE });
    expect(echo.requests).toHaveLength(forwarded);
  });

  // [11-25 §Protected Resource Metadata Discovery Requirements] mechanism 2, "Well-Known URI ... At the path of the
  // server's MCP endpoint: https://example.com/public/mcp could host metadata at
  // https://example.com/.well-known/oauth-protected-resource/public/mcp" (RFC 9728 §3.1).
  it('MUST: discovery through the well-known URI: /.well-known/oauth-protected-resource/mcp answers without a token', async () => {
    const metadata = await handler(metadataEvent(format));
    expect(metadata.statusCode).toBe(200);
    expect(header(metadata, 'content-type')).toBe('application/json');
    expect(header(metadata, 'cache-control')).toBe('public, max-age=300');
    expect(header(metadata, 'www-authenticate')).toBeUndefined();
    expect(lastDecision()).toMatchObject({ outcome: 'ok', status: 200, route: 'mcp', mcp: 'mcp-metadata' });
  });

  // [06-18 §Authorization Server Location] "The Protected Resource Metadata document returned by the MCP server MUST
  // include the authorization_servers field containing at least one authorization server"; RFC 9728 §2 and §3.3
  // (`resource` MUST be identical to the resource identifier the client used).
  it('MUST: the metadata fields: resource, authorization_servers (the accepted issuers exactly), bearer_methods_supported', async () => {
    const metadata = JSON.parse((await handler(metadataEvent(format))).body!) as Record<string, unknown>;
    expect(metadata).toEqual({
      resource: MCP_RESOURCE,
      authorization_servers: [PARTNER_ISSUER, as.issuer],
      scopes_supported: ['mcp:tools'],
      bearer_methods_supported: ['header'],
      resource_name: 'Orders MCP server',
    });
  });

  // What the official client does with these answers: @modelcontextprotocol/sdk dist/esm/client/auth.js
  // (extractWWWAuthenticateParams) and dist/esm/shared/auth.js (the metadata schema its discovery parses with).
  it('is read by the official MCP SDK: the challenge gives the metadata URL, scope and error; the document passes its schema', async () => {
    const asResponse = (result: Result) => new Response(null, { status: result.statusCode, headers: { 'www-authenticate': header(result, 'www-authenticate') ?? '' } });
    const missing = extractWWWAuthenticateParams(asResponse(await handler(mcpEvent(format))));
    expect(missing.resourceMetadataUrl?.href).toBe(METADATA_URL);
    expect(missing.scope).toBe('mcp:tools');
    expect(missing.error).toBeUndefined();
    const narrow = extractWWWAuthenticateParams(asResponse(await handler(mcpEvent(format, { token: await partnerToken({ scope: 'mcp:read' }) }))));
    expect(narrow).toMatchObject({ error: 'insufficient_scope', scope: 'mcp:tools' });
    expect(narrow.resourceMetadataUrl?.href).toBe(METADATA_URL);
    const parsed = OAuthProtectedResourceMetadataSchema.safeParse(JSON.parse((await handler(metadataEvent(format))).body!));
    expect(parsed.success).toBe(true);
  });

  it('answers HEAD on the metadata route with the headers alone, and refuses other methods with 405 and Allow', async () => {
    const head = await handler(metadataEvent(format, 'HEAD'));
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    const post = await handler(metadataEvent(format, 'POST'));
    expect(post.statusCode).toBe(405);
    expect(header(post, 'allow')).toBe('GET, HEAD');
    expect(JSON.parse(post.body!)).toMatchObject({ code: 'method_not_allowed', status: 405 });
  });

  // [06-18 §Token Handling] "Invalid or expired tokens MUST receive a HTTP 401 response"; [06-18 §Error Handling]
  // 401 "Authorization required or token invalid".
  it('MUST: 401 for a missing token, with a challenge that carries no error code (RFC 6750 §3.1)', async () => {
    const result = await handler(mcpEvent(format, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
    expect(expectChallenge(result, false)).toMatchObject({ code: 'token_missing' });
    expect(header(result, 'www-authenticate')).toContain('scope="mcp:tools"');
  });

  it('MUST: 401 for an invalid token (signed by a key the issuer does not publish)', async () => {
    const stranger = await generateTestKey('RS256', { kid: partnerKey.kid });
    const forged = await mintJwt(stranger, { iss: PARTNER_ISSUER, sub: 'mallory', aud: MCP_RESOURCE, scope: 'mcp:tools' });
    const problem = expectChallenge(await handler(mcpEvent(format, { token: forged })), true);
    expect(problem).toMatchObject({ code: 'token_invalid' });
    expect(lastDecision()).toMatchObject({ outcome: 'token_invalid', status: 401, route: 'mcp', mcp: 'mcp-resource', tokenId: tokenIdOf(forged) });
  });

  it('MUST: 401 for a malformed token', async () => {
    expect(expectChallenge(await handler(mcpEvent(format, { token: 'not-a-jwt' })), true)).toMatchObject({ code: 'token_malformed' });
  });

  it('MUST: 401 for an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await partnerToken({ iat: now - 3600, exp: now - 600 });
    expect(expectChallenge(await handler(mcpEvent(format, { token: expired })), true)).toMatchObject({ code: 'token_expired' });
  });

  it('MUST: 401 for a token that is not valid yet', async () => {
    const early = await partnerToken({ nbf: Math.floor(Date.now() / 1000) + 3600 });
    expect(expectChallenge(await handler(mcpEvent(format, { token: early })), true)).toMatchObject({ code: 'token_not_yet_valid' });
  });

  it('MUST: 401 for a token of an issuer the route does not accept', async () => {
    const other = await mintJwt(partnerKey, { iss: OTHER_ISSUER, sub: 'olivia', aud: MCP_RESOURCE, scope: 'mcp:tools' });
    expect(expectChallenge(await handler(mcpEvent(format, { token: other })), true)).toMatchObject({ code: 'issuer_not_accepted' });
  });

  // [06-18 §Token Handling] "MCP servers MUST validate that access tokens were issued specifically for them as the
  // intended audience, according to RFC 8707 Section 2"; [11-25 §Token Handling] "MCP servers MUST only accept tokens
  // that are valid for use with their own resources".
  it('MUST: 401 for the wrong audience: a token for another MCP server', async () => {
    const elsewhere = await partnerToken({ aud: 'https://api.example.com/other-mcp' });
    expect(expectChallenge(await handler(mcpEvent(format, { token: elsewhere })), true)).toMatchObject({ code: 'audience_not_accepted' });
  });

  // RFC 7519 §4.1.3 compares `aud` values as case-sensitive strings, and the spec's canonical URI note asks for one
  // consistent form [06-18 §Canonical Server URI]: the configured resource is that form, a variant is another resource.
  it('MUST: audience validation is exact: a trailing-slash variant of the resource is refused', async () => {
    const variant = await partnerToken({ aud: `${MCP_RESOURCE}/` });
    expect(expectChallenge(await handler(mcpEvent(format, { token: variant })), true)).toMatchObject({ code: 'audience_not_accepted' });
    const among = await partnerToken({ aud: ['https://api.example.com/other-mcp', MCP_RESOURCE] });
    expect((await handler(mcpEvent(format, { token: among }))).statusCode).toBe(200);
  });

  // [06-18 §Error Handling] 403 "Invalid scopes or insufficient permissions"; [11-25 §Runtime Insufficient Scope Errors]
  // 403 with error="insufficient_scope", scope and resource_metadata.
  it('MUST: 403 insufficient_scope, naming the required scopes and the metadata', async () => {
    const narrow = await partnerToken({ scope: 'mcp:read' });
    const result = await handler(mcpEvent(format, { token: narrow }));
    expect(result.statusCode).toBe(403);
    const challenge = header(result, 'www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer error="insufficient_scope"/);
    expect(challenge).toContain('scope="mcp:tools"');
    expect(challenge).toContain(`resource_metadata="${METADATA_URL}"`);
    expect(JSON.parse(result.body!)).toMatchObject({ code: 'insufficient_scope', status: 403 });
  });

  // [06-18 §Token Handling] "MCP servers MUST NOT accept or transit any other tokens"; the Security Best Practices'
  // "Token Passthrough" section forbids passing the client's token on.
  it('MUST NOT pass the token through: the upstream MCP server receives the exchanged token, never the caller\'s', async () => {
    const token = await partnerToken({ sub: 'bob' });
    const before = echo.requests.length;
    const result = await handler(mcpEvent(format, { token, headers: { 'mcp-protocol-version': '2025-06-18' } }));
    expect(result.statusCode).toBe(200);
    expect(echo.requests.length).toBe(before + 1);
    const received = echo.requests.at(-1)!;
    expect(received.path).toBe('/upstream/mcp');
    expect(received.headers['authorization']?.[0]).not.toContain(token);
    expect(received.claims).toMatchObject({ iss: as.issuer, sub: 'bob', aud: 'orders-mcp', scope: 'mcp:tools' });
    expect(await as.verify(received.headers['authorization']![0]!.slice('Bearer '.length))).toBeTruthy();
    expect(lastDecision()).toMatchObject({ outcome: 'ok', route: 'mcp', mcp: 'mcp-resource', action: 'exchange', issuer: 'partner', via: 'jwt', tokenId: tokenIdOf(token), authorizationServer: 'corp' });
  });

  it('passes the caller\'s token through only on an MCP route without an exchange block', async () => {
    const token = await as.mint({ sub: 'carol', aud: 'https://api.example.com/mcp-open', scope: 'mcp:tools' });
    const event = format.event({ method: 'POST', routeMethod: 'ANY', resource: '/mcp-open', path: '/mcp-open', headers: { authorization: `Bearer ${token}` }, body: Buffer.from('{}') });
    expect((await handler(event)).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.headers['authorization']).toEqual([`Bearer ${token}`]);
    expect(lastDecision()).toMatchObject({ action: 'passthrough', route: 'mcp-open' });
  });

  it('ignores an authorizer context on an MCP route: a forged allow does not admit a bad token, nor turn an exchange into a passthrough', async () => {
    const stranger = await generateTestKey('RS256');
    const forged = await mintJwt(stranger, { iss: PARTNER_ISSUER, sub: 'mallory', aud: MCP_RESOURCE, scope: 'mcp:tools' });
    const context = (token: string) => ({ route: 'mcp', action: 'passthrough' as const, issuer: 'corp', subject: 'x', clientId: 'x', scope: 'mcp:tools', expiresAt: Math.floor(Date.now() / 1000) + 600, tokenId: tokenIdOf(token) });
    expectChallenge(await handler(mcpEvent(format, { token: forged, context: context(forged) })), true);
    const genuine = await partnerToken({ sub: 'dave' });
    expect((await handler(mcpEvent(format, { token: genuine, context: context(genuine) }))).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.headers['authorization']?.[0]).not.toContain(genuine);
    expect(lastDecision()).toMatchObject({ action: 'exchange', subject: 'dave' });
  });

  // [06-18 §Token Requirements] "Access tokens MUST NOT be included in the URI query string" (RFC 6750 §2.3).
  it('refuses a token in the query string like the authorizer does', async () => {
    const token = await partnerToken();
    // The authorizer reads the decoded parameter names too: an encoded or bare name is the same parameter.
    for (const query of [`access_token=${token}`, `page=2&ACCESS%5Ftoken=${token}`, 'access_token']) {
      const result = await handler(mcpEvent(format, { token, query }));
      expect(expectChallenge(result, true), query).toMatchObject({ code: 'token_malformed' });
    }
  });

  it('still refuses a non-MCP route that arrives without the authorizer\'s context (never an allow by accident)', async () => {
    const token = await partnerToken({ aud: 'https://api.example.com' });
    const result = await handler(format.event({ method: 'GET', resource: '/orders/{id}', path: '/orders/1', pathParameters: { id: '1' }, headers: { authorization: `Bearer ${token}` } }));
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body!)).toMatchObject({ code: 'gateway_misconfigured' });
    expect(echo.requests.every((r) => !r.path.startsWith('/orders'))).toBe(true);
  });
});

describe.each(FORMATS)('Streamable HTTP through Lambda ($name)', (format) => {
  const sse = (...messages: unknown[]) => messages.map((m, i) => `id: ${i + 1}\nevent: message\ndata: ${JSON.stringify(m)}\n\n`).join('');

  it('relays a POST answered with text/event-stream whole once the server ends the stream, with Mcp-Session-Id and MCP-Protocol-Version both ways', async () => {
    const events = [
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } },
      { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'echo' }] } },
    ];
    echo.respondWith((req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': 'session-7f3', 'mcp-protocol-version': '2025-06-18' });
      // Two writes with a pause: the answer is complete only when the server ends the stream.
      res.write(sse(events[0]));
      setTimeout(() => res.end(sse(events[1]).replace(/^id: 1/, 'id: 2')), 50);
      return true;
    });
    try {
      const token = await partnerToken({ sub: 'erin' });
      const result = await handler(mcpEvent(format, { token, headers: { 'mcp-session-id': 'session-7f3', 'mcp-protocol-version': '2025-06-18' } }));
      expect(result.statusCode).toBe(200);
      expect(header(result, 'content-type')).toBe('text/event-stream');
      expect(header(result, 'mcp-session-id')).toBe('session-7f3');
      expect(header(result, 'mcp-protocol-version')).toBe('2025-06-18');
      expect(result.isBase64Encoded).toBe(false);
      expect(result.body).toBe(sse(events[0]) + sse(events[1]).replace(/^id: 1/, 'id: 2'));
      const received = echo.requests.at(-1)!;
      expect(received.headers['mcp-session-id']).toEqual(['session-7f3']);
      expect(received.headers['mcp-protocol-version']).toEqual(['2025-06-18']);
    } finally {
      echo.respondWith(undefined);
    }
  });

  // MCP transports 2025-06-18 and 2025-11-25, "Listening for Messages from the Server": "The server MUST either return
  // Content-Type: text/event-stream in response to this HTTP GET, or else return HTTP 405 Method Not Allowed".
  it('answers the long-lived GET stream with 405 and Allow, calling neither the upstream nor the token endpoint', async () => {
    const token = await partnerToken({ sub: 'frank' });
    const requests = echo.requests.length;
    const exchanges = as.calls.token;
    const result = await handler(mcpEvent(format, { method: 'GET', token, headers: { accept: 'text/event-stream', 'mcp-session-id': 'session-7f3' }, body: '' }));
    expect(result.statusCode).toBe(405);
    expect(header(result, 'allow')).toBe('POST, DELETE');
    expect(JSON.parse(result.body!)).toMatchObject({ code: 'method_not_allowed' });
    expect(echo.requests.length).toBe(requests);
    expect(as.calls.token).toBe(exchanges);
    expect(lastDecision()).toMatchObject({ outcome: 'method_not_allowed', status: 405, route: 'mcp', via: expect.any(String) });
  });

  it('still challenges an unauthenticated GET stream with 401 before anything else', async () => {
    expectChallenge(await handler(mcpEvent(format, { method: 'GET', headers: { accept: 'text/event-stream' }, body: '' })), false);
  });

  it('passes DELETE (session end) through with its Mcp-Session-Id', async () => {
    const token = await partnerToken({ sub: 'grace' });
    const result = await handler(mcpEvent(format, { method: 'DELETE', token, headers: { 'mcp-session-id': 'session-7f3' }, body: '' }));
    expect(result.statusCode).toBe(200);
    const received = echo.requests.at(-1)!;
    expect(received.method).toBe('DELETE');
    expect(received.headers['mcp-session-id']).toEqual(['session-7f3']);
    expect(received.headers['authorization']?.[0]).not.toContain(token);
  });
});

describe('exchange handler built without MCP token validation', () => {
  it('refuses at init a configuration with MCP routes, naming the fix', async () => {
    process.env['GATEPASS_BUNDLE_MCP'] = 'false';
    try {
      await expect(newContainer()).rejects.toThrow(/built without MCP token validation.*configuration has MCP routes: rebuild it from this configuration/);
    } finally {
      delete process.env['GATEPASS_BUNDLE_MCP'];
    }
  });

  it('starts with the same setting when no route is an MCP server\'s', async () => {
    const withoutMcp = configDocument();
    withoutMcp.routes = withoutMcp.routes.filter((route) => route.mcp === undefined);
    process.env['GATEPASS_CONFIG'] = JSON.stringify(withoutMcp);
    process.env['GATEPASS_BUNDLE_MCP'] = 'false';
    try {
      const plain = await newContainer();
      // Without the authorizer's context a non-MCP route is refused, as ever: the function runs.
      const result = await plain(proxyEventV2({ method: 'GET', resource: '/orders/{id}', path: '/orders/1', pathParameters: { id: '1' } }));
      expect(JSON.parse(result.body!)).toMatchObject({ code: 'gateway_misconfigured' });
    } finally {
      delete process.env['GATEPASS_BUNDLE_MCP'];
      process.env['GATEPASS_CONFIG'] = JSON.stringify(configDocument());
    }
  });
});
