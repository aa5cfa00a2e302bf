import { describe, expect, it } from 'vitest';
import { assertRouteAccepts, classify, tokenFactsOf } from '../../../../functions/shared/token-validation/route-policy.js';
import { parseConfig } from '../../../../functions/shared/config/config-validator.js';
import { refusalCodeOf } from '../../../support/failures.js';

const config = parseConfig({
  version: 1,
  issuers: {
    partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks' },
    corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks' },
  },
  authorizationServers: { corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId: 'gatepass/corp' } },
  routes: [
    {
      id: 'orders-read',
      method: 'GET',
      path: '/orders/{id}',
      upstream: 'https://orders.internal.example',
      acceptedIssuers: ['partner', 'corp'],
      requiredScopes: ['orders:read'],
      exchange: { authorizationServer: 'corp', sameIssuerWhen: { hasScopes: ['orders:admin'], missingAudience: ['orders'] }, scope: ['orders:read'] },
    },
    { id: 'health', method: 'GET', path: '/health', upstream: 'https://orders.internal.example', acceptedIssuers: ['corp'] },
  ],
});
const [ordersRead, health] = config.routes as [(typeof config.routes)[0], (typeof config.routes)[0]];

describe('tokenFactsOf', () => {
  it('derives the context fields once: scope (string or scp), subject, client id, audiences, whole-second expiry', () => {
    expect(tokenFactsOf('partner', { sub: 'alice', azp: 'app', scope: 'a  b', aud: ['x', 'y'], exp: 1_900_000_000.9 })).toMatchObject({
      issuerKey: 'partner',
      subject: 'alice',
      clientId: 'app',
      scope: ['a', 'b'],
      audiences: ['x', 'y'],
      expiresAt: 1_900_000_000,
    });
    const facts = tokenFactsOf('corp', { scp: ['orders:read', 'orders:admin'] });
    expect([...facts.scopes]).toEqual(['orders:read', 'orders:admin']);
    expect(facts).toMatchObject({ subject: '', clientId: '', scope: ['orders:read', 'orders:admin'], audiences: [], expiresAt: 0 });
  });

  it('reads scope written as a JSON array (Spring Authorization Server) the same as the string form', () => {
    // JwtGenerator puts the authorized scope Set in `scope`: https://github.com/spring-projects/spring-authorization-server/blob/041b94d682c1d6fb1ff87c8dfdc8e04f10f41d81/oauth2-authorization-server/src/main/java/org/springframework/security/oauth2/server/authorization/token/JwtGenerator.java
    expect([...tokenFactsOf('partner', { scope: ['orders:read', 'openid'] }).scopes]).toEqual(['orders:read', 'openid']);
    expect(refusalCodeOf(() => assertRouteAccepts(ordersRead, tokenFactsOf('partner', { scope: ['orders:read'] })))).toBeUndefined();
    expect([...tokenFactsOf('partner', { scp: 'orders:read orders:write' }).scopes]).toEqual(['orders:read', 'orders:write']);
  });

  it('grants no scope from a malformed claim', () => {
    expect(tokenFactsOf('partner', { scope: ['orders:read', 7] }).scopes.size).toBe(0);
    expect(tokenFactsOf('partner', { scp: ['orders:read', 7] }).scopes.size).toBe(0);
    expect(tokenFactsOf('partner', { scope: { 'orders:read': true } }).scopes.size).toBe(0);
  });
});

describe('assertRouteAccepts', () => {
  it('accepts a token of an accepted issuer that carries every required scope', () => {
    expect(refusalCodeOf(() => assertRouteAccepts(ordersRead, tokenFactsOf('partner', { scope: 'profile orders:read' })))).toBeUndefined();
    expect(refusalCodeOf(() => assertRouteAccepts(health, tokenFactsOf('corp', {})))).toBeUndefined();
  });

  it('refuses an issuer the route does not accept, before looking at scopes', () => {
    expect(refusalCodeOf(() => assertRouteAccepts(health, tokenFactsOf('partner', { scope: 'orders:read' })))).toBe('issuer_not_accepted');
  });

  it('refuses a missing scope with insufficient_scope, matching whole scope tokens only', () => {
    expect(refusalCodeOf(() => assertRouteAccepts(ordersRead, tokenFactsOf('partner', { scope: 'orders:readonly orders' })))).toBe('insufficient_scope');
    expect(refusalCodeOf(() => assertRouteAccepts(ordersRead, tokenFactsOf('partner', {})))).toBe('insufficient_scope');
  });
});

describe('classify', () => {
  it('exchanges a token from another issuer than the target authorization server', () => {
    expect(classify(config, ordersRead, tokenFactsOf('partner', { scope: 'orders:read' }))).toBe('exchange');
  });

  it('exchanges a same-issuer token only when sameIssuerWhen matches', () => {
    expect(classify(config, ordersRead, tokenFactsOf('corp', { scope: 'orders:read orders:admin', aud: 'api' }))).toBe('exchange');
    expect(classify(config, ordersRead, tokenFactsOf('corp', { scope: 'orders:read' }))).toBe('passthrough');
    expect(classify(config, ordersRead, tokenFactsOf('corp', { scope: 'orders:read orders:admin', aud: ['api', 'orders'] }))).toBe('passthrough');
  });

  it('never passes a same-issuer token through on a route with forbiddenClaims', () => {
    const privacy = parseConfig({
      version: 1,
      issuers: { corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks' } },
      authorizationServers: { corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId: 'gatepass/corp' } },
      routes: [
        { id: 'plain', method: 'GET', path: '/plain', upstream: 'https://orders.internal.example', acceptedIssuers: ['corp'], exchange: { authorizationServer: 'corp' } },
        {
          id: 'private',
          method: 'GET',
          path: '/private',
          upstream: 'https://orders.internal.example',
          acceptedIssuers: ['corp'],
          exchange: { authorizationServer: 'corp', forbiddenClaims: ['email'], sameIssuerWhen: { hasScopes: ['never-granted'] } },
        },
      ],
    });
    const [plain, guarded] = privacy.routes as [(typeof privacy.routes)[0], (typeof privacy.routes)[0]];
    const sameIssuer = tokenFactsOf('corp', { scope: 'orders:read', email: 'a@example.com' });
    expect(classify(privacy, plain, sameIssuer)).toBe('passthrough');
    expect(classify(privacy, guarded, sameIssuer)).toBe('exchange');
  });

  it('passes the token through on a route without exchange', () => {
    expect(classify(config, health, tokenFactsOf('corp', {}))).toBe('passthrough');
  });
});

describe('assertRouteAccepts on an MCP route (RFC 8707 audience binding)', () => {
  const mcpConfig = parseConfig({
    version: 1,
    issuers: { corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks' } },
    routes: [{ id: 'mcp', method: 'ANY', path: '/mcp', upstream: 'https://mcp.internal.example', acceptedIssuers: ['corp'], requiredScopes: ['mcp:tools'], mcp: { resource: 'https://api.example.com/mcp' } }],
  });
  const [mcp] = mcpConfig.routes as [(typeof mcpConfig.routes)[0]];
  const facts = (aud: unknown, scope = 'mcp:tools') => tokenFactsOf('corp', { sub: 'alice', aud, scope, exp: 1_900_000_000 });

  it('needs the resource among the audiences, compared exactly', () => {
    expect(refusalCodeOf(() => assertRouteAccepts(mcp, facts(['https://other.example', 'https://api.example.com/mcp'])))).toBeUndefined();
    expect(refusalCodeOf(() => assertRouteAccepts(mcp, facts('https://api.example.com/mcp/')))).toBe('audience_not_accepted');
    expect(refusalCodeOf(() => assertRouteAccepts(mcp, facts('HTTPS://api.example.com/mcp')))).toBe('audience_not_accepted');
    expect(refusalCodeOf(() => assertRouteAccepts(mcp, facts(undefined)))).toBe('audience_not_accepted');
  });

  it('refuses a token for another resource with 401 before looking at its scopes', () => {
    expect(refusalCodeOf(() => assertRouteAccepts(mcp, facts('https://other.example/mcp', 'none')))).toBe('audience_not_accepted');
    expect(refusalCodeOf(() => assertRouteAccepts(mcp, facts('https://api.example.com/mcp', 'none')))).toBe('insufficient_scope');
  });

  it('asks nothing of the audience on a route without an mcp block', () => {
    expect(refusalCodeOf(() => assertRouteAccepts(health, tokenFactsOf('corp', { sub: 'x', exp: 1_900_000_000 })))).toBeUndefined();
  });
});
