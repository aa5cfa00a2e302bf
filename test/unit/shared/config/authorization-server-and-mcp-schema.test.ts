import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../functions/shared/config/config-validator.js';

function minimal(overrides: Record<string, unknown> = {}) {
  return {
    version: 1,
    issuers: { corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks' } },
    authorizationServers: {
      corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId: 'gatepass/corp' },
    },
    routes: [{ id: 'r1', method: 'GET', path: '/orders/{id}', upstream: 'https://orders.example', acceptedIssuers: ['corp'] }],
    ...overrides,
  };
}

const issuesOf = (document: unknown): string[] => {
  const result = validateConfig(document);
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
};

const entra = (extra: Record<string, unknown> = {}) => ({
  issuer: 'https://login.microsoftonline.com/tenant/v2.0',
  tokenEndpoint: 'https://login.microsoftonline.com/tenant/oauth2/v2.0/token',
  grant: 'jwt-bearer',
  parameters: { requested_token_use: 'on_behalf_of' },
  clientAuth: 'client_secret_post',
  clientSecretId: 'gatepass/entra-obo',
  ...extra,
});

const mcpRoute = (extra: Record<string, unknown> = {}) => ({
  id: 'mcp',
  method: 'ANY',
  path: '/mcp',
  upstream: 'https://mcp.internal.example',
  acceptedIssuers: ['corp'],
  mcp: { resource: 'https://api.example.com/mcp', scopesSupported: ['mcp:tools'], resourceName: 'Orders MCP server' },
  ...extra,
});

describe('authorization servers beyond RFC 8693', () => {
  it('accepts the jwt-bearer grant with static parameters, and defaults to token-exchange with none', () => {
    const result = validateConfig(minimal({ authorizationServers: { entra: entra(), corp: minimal().authorizationServers.corp } }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.authorizationServers['entra']).toMatchObject({ grant: 'jwt-bearer', parameters: { requested_token_use: 'on_behalf_of' } });
    expect(result.config.authorizationServers['corp']).toMatchObject({ grant: 'token-exchange', parameters: {} });
  });

  it.each(['grant_type', 'assertion', 'subject_token', 'scope', 'audience', 'resource', 'client_secret', 'client_assertion'])(
    'refuses a static parameter the grant or client authentication sends itself: %s',
    (name) => {
      expect(issuesOf(minimal({ authorizationServers: { entra: entra({ parameters: { [name]: 'x' } }) } })).join('\n')).toMatch(
        new RegExp(`authorizationServers\\.entra\\.parameters\\.${name}: is sent by the grant or the client authentication itself`),
      );
    },
  );

  it('refuses an unknown grant, naming both it knows', () => {
    expect(issuesOf(minimal({ authorizationServers: { entra: entra({ grant: 'saml2-bearer' }) } }))).toContain(
      'authorizationServers.entra.grant: must be "token-exchange" (RFC 8693) or "jwt-bearer" (RFC 7523)',
    );
  });

  it('holds an authorization server jwksUri to the URL policy', () => {
    expect(issuesOf(minimal({ authorizationServers: { entra: entra({ jwksUri: 'http://keys.example/jwks' }) } })).join('\n')).toMatch(/authorizationServers\.entra\.jwksUri: must use https/);
  });

  it('refuses an actor on a route whose server speaks jwt-bearer, which has no actor token', () => {
    const issues = issuesOf(
      minimal({
        authorizationServers: { entra: entra() },
        routes: [{ id: 'r1', method: 'GET', path: '/a', upstream: 'https://a.example', acceptedIssuers: ['corp'], exchange: { authorizationServer: 'entra', actor: { source: 'gateway' } } }],
      }),
    );
    expect(issues.join('\n')).toMatch(/routes\[0\]\.exchange\.actor: authorization server "entra" uses the jwt-bearer grant/);
  });

  it('takes forbiddenClaims as a list of distinct claim names, default none', () => {
    const route = { id: 'r1', method: 'GET', path: '/a', upstream: 'https://a.example', acceptedIssuers: ['corp'], exchange: { authorizationServer: 'corp', forbiddenClaims: ['email', 'phone_number'] } };
    const result = validateConfig(minimal({ routes: [route] }));
    expect(result.ok && result.config.routes[0]?.exchange?.forbiddenClaims).toEqual(['email', 'phone_number']);
    expect(issuesOf(minimal({ routes: [{ ...route, exchange: { authorizationServer: 'corp', forbiddenClaims: ['email', 'email'] } }] }))).toContain(
      'routes[0].exchange.forbiddenClaims: must not contain duplicates',
    );
  });
});

describe('clientAuth "none" (a server that authenticates no client, such as Google STS)', () => {
  const sts = (extra: Record<string, unknown> = {}) => ({ issuer: 'https://sts.googleapis.com', tokenEndpoint: 'https://sts.googleapis.com/v1/token', clientAuth: 'none', ...extra });
  const exchangeRoute = (exchange: Record<string, unknown>) => ({ id: 'r1', method: 'GET', path: '/a', upstream: 'https://a.example', acceptedIssuers: ['corp'], exchange });

  it('accepts clientAuth "none" without a clientSecretId, and keeps none in the parsed server', () => {
    const result = validateConfig(minimal({ authorizationServers: { sts: sts() }, routes: [exchangeRoute({ authorizationServer: 'sts' })] }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.authorizationServers['sts']).toMatchObject({ clientAuth: 'none' });
    expect(result.config.authorizationServers['sts']?.clientSecretId).toBeUndefined();
  });

  it('refuses a clientSecretId with clientAuth "none", so that nothing suggests a secret is used, naming the fix', () => {
    expect(issuesOf(minimal({ authorizationServers: { sts: sts({ clientSecretId: 'gatepass/sts' }) } }))).toContain(
      'authorizationServers.sts.clientSecretId: must be absent with clientAuth "none": no secret is read or sent to this server; remove clientSecretId, or choose the clientAuth the server expects',
    );
  });

  it.each([
    ['client_secret_basic', { clientAuth: 'client_secret_basic' }],
    ['client_secret_post', { clientAuth: 'client_secret_post' }],
    ['private_key_jwt', { clientAuth: 'private_key_jwt' }],
    ['client_secret_basic', {}],
  ])('requires clientSecretId with clientAuth %s (given or by default), naming the field and the fix', (method, extra) => {
    const server = { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', ...extra };
    expect(issuesOf(minimal({ authorizationServers: { corp: server } }))).toContain(
      `authorizationServers.corp.clientSecretId: is required with clientAuth "${method}": name the Secrets Manager secret holding the gateway's client credentials, or set clientAuth "none" if the server authenticates no client`,
    );
  });

  it('names the four methods when clientAuth is unknown, and does not also ask for a secret', () => {
    const issues = issuesOf(minimal({ authorizationServers: { corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientAuth: 'tls_client_auth' } } }));
    expect(issues).toContain('authorizationServers.corp.clientAuth: must be "client_secret_basic", "client_secret_post", "private_key_jwt" or "none"');
    expect(issues.join('\n')).not.toMatch(/clientSecretId/);
  });

  it('refuses actor source "gateway" on a route exchanging at a "none" server: the gateway has no client identity there to get its own token', () => {
    const issues = issuesOf(minimal({ authorizationServers: { sts: sts() }, routes: [exchangeRoute({ authorizationServer: 'sts', actor: { source: 'gateway' } })] }));
    expect(issues.join('\n')).toMatch(/routes\[0\]\.exchange\.actor: authorization server "sts" has clientAuth "none", so the gateway has no client identity there/);
  });

  it('allows actor sources "none" and "header" there', () => {
    for (const actor of [{ source: 'none' }, { source: 'header', header: 'x-actor-token' }]) {
      expect(issuesOf(minimal({ authorizationServers: { sts: sts() }, routes: [exchangeRoute({ authorizationServer: 'sts', actor })] }))).toEqual([]);
    }
  });
});

describe('mcp routes', () => {
  it('accepts an MCP route whose resource ends with its path, with or without a base path before it', () => {
    expect(issuesOf(minimal({ routes: [mcpRoute()] }))).toEqual([]);
    expect(issuesOf(minimal({ routes: [mcpRoute({ mcp: { resource: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/mcp' } })] }))).toEqual([]);
  });

  it('refuses a resource whose path is not the route path, naming the fix', () => {
    expect(issuesOf(minimal({ routes: [mcpRoute({ mcp: { resource: 'https://api.example.com/other' } })] })).join('\n')).toMatch(
      /routes\[0\]\.mcp\.resource: its path must end with the route's path "\/mcp"/,
    );
  });

  it('refuses a resource with a query or fragment (RFC 8707 §2) and over http', () => {
    expect(issuesOf(minimal({ routes: [mcpRoute({ mcp: { resource: 'https://api.example.com/mcp?x=1' } })] }))).toContain('routes[0].mcp.resource: must not have a query (RFC 8707 §2)');
    expect(issuesOf(minimal({ routes: [mcpRoute({ mcp: { resource: 'https://api.example.com/mcp#x' } })] }))).toContain('routes[0].mcp.resource: must not have a fragment');
    expect(issuesOf(minimal({ routes: [mcpRoute({ mcp: { resource: 'http://api.example.com/mcp' } })] })).join('\n')).toMatch(/routes\[0\]\.mcp\.resource: must use https/);
  });

  it('refuses an MCP route with a path parameter', () => {
    expect(issuesOf(minimal({ routes: [mcpRoute({ path: '/mcp/{tenant}', mcp: { resource: 'https://api.example.com/mcp/x' } })] })).join('\n')).toMatch(
      /routes\[0\]\.path: an MCP route has a literal path/,
    );
  });

  it('refuses a route that takes the place of an MCP route\'s metadata path', () => {
    const squatter = { id: 'wk', method: 'GET', path: '/.well-known/oauth-protected-resource/mcp', upstream: 'https://a.example', acceptedIssuers: ['corp'] };
    expect(issuesOf(minimal({ routes: [mcpRoute(), squatter] }))).toContain('routes[1].path: is the protected resource metadata path of the MCP route routes[0]');
  });

  it('refuses a second MCP route on one path, which would publish a second metadata document there', () => {
    const post = mcpRoute({ id: 'mcp-post', method: 'POST', mcp: { resource: 'https://api.example.com/mcp', scopesSupported: ['other'] } });
    expect(issuesOf(minimal({ routes: [mcpRoute({ method: 'GET' }), post] }))).toContain(
      'routes[1].path: routes[0] is already an MCP route on this path: one MCP route per path (method ANY serves every method)',
    );
  });

  it('refuses unknown fields in the mcp block', () => {
    expect(issuesOf(minimal({ routes: [mcpRoute({ mcp: { resource: 'https://api.example.com/mcp', authorizationServers: ['x'] } })] }))).toContain(
      'routes[0].mcp.authorizationServers: unknown field',
    );
  });
});
