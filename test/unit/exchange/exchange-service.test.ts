import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/shared/config/config-validator.js';
import { encodeAuthorizerContext } from '../../../functions/shared/contracts/authorizer-context.js';
import { CacheLayer } from '../../../functions/shared/contracts/metric-names.js';
import { tokenIdOf } from '../../../functions/shared/token-id.js';
import { ExchangeService } from '../../../functions/exchange/exchange-service.js';
import type { ExchangeDecision } from '../../../functions/exchange/audit/exchange-audit.js';
import type { CacheKeyTuple, ExchangeRequest, IssuedToken } from '../../../functions/exchange/exchange-model.js';
import { ExchangeDeniedError } from '../../../functions/exchange/token-endpoint/token-endpoint-errors.js';
import { proxyEventV2 } from '../../support/proxy-events.js';

/**
 * ExchangeService's choices that no real server changes: which narrowing limit a route's
 * flow sets, what reaches the token client and the cache key, and what the decision line says.
 * The parts are recorders; the token client, cache and forwarder have tests of their own.
 */

const TENANT = 'https://login.example/tenant/v2.0';
const config = parseConfig({
  version: 1,
  issuers: {
    tenant: { issuer: TENANT, jwksUri: 'https://login.example/tenant/keys' },
    partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks' },
  },
  authorizationServers: { tenant: { issuer: TENANT, tokenEndpoint: 'https://login.example/tenant/token', clientSecretId: 'gatepass/tenant' } },
  routes: [
    // On-Behalf-Of inside one tenant: same issuer, but a token for another API.
    { id: 'obo', method: 'GET', path: '/obo', upstream: 'https://orders.internal.example', acceptedIssuers: ['tenant'], exchange: { authorizationServer: 'tenant', flow: 'delegation', scope: ['orders:read'], sameIssuerWhen: {} } },
    { id: 'down', method: 'GET', path: '/down', upstream: 'https://orders.internal.example', acceptedIssuers: ['tenant', 'partner'], exchange: { authorizationServer: 'tenant', scope: ['orders:read'], sameIssuerWhen: {} } },
    { id: 'private', method: 'GET', path: '/private', upstream: 'https://orders.internal.example', acceptedIssuers: ['partner'], exchange: { authorizationServer: 'tenant', forbiddenClaims: ['email'] } },
  ],
});

function harness(answer: (request: ExchangeRequest) => Promise<IssuedToken> = async () => issued()) {
  const requests: ExchangeRequest[] = [];
  const tuples: CacheKeyTuple[] = [];
  const decisions: ExchangeDecision[] = [];
  const service = new ExchangeService({
    config,
    tokenClient: {
      exchange: (request) => {
        requests.push(request);
        return answer(request);
      },
    },
    actors: { resolve: async () => undefined },
    cache: {
      getOrExchange: async (tuple, _exp, exchange) => {
        tuples.push(tuple);
        const token = await exchange();
        return { token: { ...token, expiresAt: 0 }, layer: CacheLayer.Miss, shared: false };
      },
      evict: async () => undefined,
      flush: async () => undefined,
    },
    forwarder: { forward: async () => ({ status: 200, headers: new Map(), body: Buffer.alloc(0), latencyMs: 1, tokenRejected: false }) },
    audit: { record: (decision) => void decisions.push(decision) },
  });
  return { service, requests, tuples, decisions };
}

const issued = (overrides: Partial<IssuedToken> = {}): IssuedToken => ({
  accessToken: 'issued-token',
  issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  tokenType: 'Bearer',
  expiresIn: 300,
  scope: ['orders:read', 'profile'],
  verification: 'signature',
  identityScopes: ['profile'],
  ...overrides,
});

function eventFor(route: 'obo' | 'down' | 'private', issuer: 'tenant' | 'partner') {
  const token = `caller-token-${route}-${issuer}`;
  const context = encodeAuthorizerContext({
    route,
    action: 'exchange',
    issuer,
    subject: 'alice',
    clientId: 'spa',
    scope: ['api.access'],
    expiresAt: Math.floor(Date.now() / 1000) + 600,
    tokenId: tokenIdOf(token),
  });
  return proxyEventV2({ method: 'GET', resource: `/${route}`, path: `/${route}`, headers: { authorization: `Bearer ${token}` }, context });
}

describe('ExchangeService: the flow sets the narrowing limit', () => {
  it("bounds a same-issuer delegation (On-Behalf-Of in one tenant) by the requested scope only, not the caller's scopes", async () => {
    const { service, requests, tuples, decisions } = harness();
    expect((await service.handle(eventFor('obo', 'tenant'))).statusCode).toBe(200);
    expect(requests[0]!.subjectScopes).toBeUndefined();
    expect(tuples[0]!.policy).toEqual(['flow:delegation']);
    expect(decisions[0]).toMatchObject({ outcome: 'ok', flow: 'delegation', narrowingFlow: 'delegation', issuedTokenVerified: 'signature', identityScopesIgnored: ['profile'] });
  });

  it("downscopes a same-issuer token without a flow (bounded by the caller's scopes), and federates another issuer's", async () => {
    const same = harness();
    await same.service.handle(eventFor('down', 'tenant'));
    expect(same.requests[0]!.subjectScopes).toEqual(['api.access']);
    expect(same.tuples[0]!.policy).toBeUndefined();
    expect(same.decisions[0]).toMatchObject({ narrowingFlow: 'downscoping' });

    const other = harness();
    await other.service.handle(eventFor('down', 'partner'));
    expect(other.requests[0]!.subjectScopes).toBeUndefined();
    expect(other.decisions[0]).toMatchObject({ narrowingFlow: 'federation' });
  });

  it('passes forbiddenClaims to the token client and keys the cache entry by them', async () => {
    const { service, requests, tuples } = harness();
    await service.handle(eventFor('private', 'partner'));
    expect(requests[0]!.forbiddenClaims).toEqual(['email']);
    expect(tuples[0]!.policy).toEqual(['forbidden:email']);
  });
});

describe('ExchangeService: the decision line of a refusal', () => {
  it("carries the provider's error, suberror, AADSTS code and trace id on exchange_denied", async () => {
    const refusal = { error: 'invalid_grant', suberror: 'consent_required', providerCode: 'AADSTS65001', traceId: '2f1c1b1e-0f1a-4c8e-9a43-3b4a5c6d7e80' };
    const { service, decisions } = harness(async () => {
      throw new ExchangeDeniedError('token endpoint of tenant (login.example) refused the exchange: invalid_grant (consent_required, AADSTS65001)', refusal);
    });
    expect((await service.handle(eventFor('obo', 'tenant'))).statusCode).toBe(403);
    expect(decisions[0]).toMatchObject({ outcome: 'exchange_denied', status: 403, providerRefusal: refusal, narrowingFlow: 'delegation' });
  });
});
