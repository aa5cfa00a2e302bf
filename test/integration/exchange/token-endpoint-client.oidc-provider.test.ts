import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenType } from '../../../functions/shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../../functions/shared/errors.js';
import { ActorResolver } from '../../../functions/exchange/policy/actor-resolver.js';
import type { ExchangeRequest } from '../../../functions/exchange/exchange-model.js';
import { unverifiedClaimsOf } from '../../../functions/exchange/policy/jwt-claims.js';
import { TokenExchangeClient } from '../../../functions/exchange/token-endpoint/token-endpoint-client.js';
import { JwksServer } from '../../../fakes/jwks-server.js';
import { startOAuthServer, type OAuthServer } from '../../../fakes/oauth-server/oauth-server.js';
import { MemoryClientSecrets, tokenClientConfig } from '../../support/token-client-fixtures.js';
import { generateTestKey, mintJwt, type TestKey } from '../../support/token-minter.js';

const ORDERS = 'https://orders.internal.example';
const BASIC_SECRET = 'basic s3cret:with+odd%chars';
const POST_SECRET = 'post-secret-value';

let idp: JwksServer;
let partnerKey: TestKey;
let as: OAuthServer;
let laxAs: OAuthServer;
let jwtClientKey: JWK;

const code = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatepassError) return error.code;
    throw error;
  }
  return 'resolved';
};

beforeAll(async () => {
  idp = await new JwksServer().start();
  partnerKey = await generateTestKey('ES256');
  const otherKey = await generateTestKey('EdDSA');
  idp.behaviour.keys = [partnerKey.publicJwk, otherKey.publicJwk];

  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  jwtClientKey = { ...(await exportJWK(privateKey)), kid: 'gw-jwt-1' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'gw-jwt-1', alg: 'ES256', use: 'sig' };

  const resourceServers = [
    { identifier: ORDERS, audience: 'orders-service', scopes: ['orders:read', 'orders:write', 'orders:admin'] },
    { identifier: 'https://reports.internal.example', audience: 'reports', scopes: ['reports'] },
  ];
  const clients = [
    { clientId: 'gw-basic', auth: 'client_secret_basic' as const, clientSecret: BASIC_SECRET },
    { clientId: 'gw-post', auth: 'client_secret_post' as const, clientSecret: POST_SECRET },
    { clientId: 'gw-jwt', auth: 'private_key_jwt' as const, jwks: { keys: [publicJwk] } },
  ];
  as = await startOAuthServer({ trustedIssuers: [{ issuer: idp.origin, jwksUri: idp.jwksUri }], clients, resourceServers });
  laxAs = await startOAuthServer({
    trustedIssuers: [{ issuer: idp.origin, jwksUri: idp.jwksUri }],
    clients,
    resourceServers: [{ identifier: ORDERS, audience: 'orders-service', scopes: ['orders:read'], extraScopes: ['orders:admin'], omitScopeInResponse: true }],
  });
});

afterAll(async () => {
  await as.stop();
  await laxAs.stop();
  await idp.stop();
});

beforeEach(() => as.resetCounters());

function clientFor(server: OAuthServer, clientAuth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' = 'client_secret_basic') {
  const config = tokenClientConfig({
    corp: { issuer: server.issuer, tokenEndpoint: server.tokenEndpoint, clientAuth, clientSecretId: `gatepass/${clientAuth}` },
  });
  const secrets = new MemoryClientSecrets({
    'gatepass/client_secret_basic': { client_id: 'gw-basic', client_secret: BASIC_SECRET },
    'gatepass/client_secret_post': { client_id: 'gw-post', client_secret: POST_SECRET },
    'gatepass/private_key_jwt': { client_id: 'gw-jwt', private_key_jwk: jwtClientKey },
  });
  return { client: new TokenExchangeClient({ config, secrets }), config, secrets };
}

const partnerToken = (claims: Record<string, unknown> = {}) =>
  mintJwt(partnerKey, { iss: idp.origin, sub: 'alice', client_id: 'partner-app', scope: 'orders:read orders:write', ...claims });

const request = (subjectToken: string, overrides: Partial<ExchangeRequest> = {}): ExchangeRequest => ({
  authorizationServer: 'corp',
  subjectToken,
  subjectTokenType: TokenType.AccessToken,
  audience: ['orders-service'],
  resource: [ORDERS],
  scope: ['orders:read'],
  requestedTokenType: TokenType.AccessToken,
  ...overrides,
});

describe('TokenExchangeClient against a real oidc-provider', () => {
  it('exchanges a partner token for a token of the corporate issuer with the requested audience and scope', async () => {
    const { client } = clientFor(as);
    const issued = await client.exchange(request(await partnerToken()));

    expect(issued).toMatchObject({ issuedTokenType: TokenType.AccessToken, tokenType: 'Bearer', expiresIn: 300, scope: ['orders:read'] });
    const claims = await as.verify(issued.accessToken);
    expect(claims).toMatchObject({ iss: as.issuer, sub: 'alice', aud: 'orders-service', scope: 'orders:read', client_id: 'gw-basic' });
    expect(claims['act']).toBeUndefined();
    expect(as.tokenRequests).toHaveLength(1);
    expect(as.tokenRequests[0]).toMatchObject({ outcome: 'success', authorizationHeader: true });
    expect(as.tokenRequests[0]!.params).toMatchObject({ audience: 'orders-service', resource: ORDERS, scope: 'orders:read', requested_token_type: TokenType.AccessToken });
  });

  it("verifies the issued token's signature with the server's jwksUri before narrowing, and says keys-unknown without one", async () => {
    const keyed = tokenClientConfig({ corp: { issuer: as.issuer, tokenEndpoint: as.tokenEndpoint, clientSecretId: 'gatepass/client_secret_basic', jwksUri: as.jwksUri } });
    const secrets = new MemoryClientSecrets({ 'gatepass/client_secret_basic': { client_id: 'gw-basic', client_secret: BASIC_SECRET } });
    const verified = await new TokenExchangeClient({ config: keyed, secrets }).exchange(request(await partnerToken()));
    const claims = await as.verify(verified.accessToken);
    expect(verified).toMatchObject({ verification: 'signature', ownExpiresAt: claims['exp'] });

    const { client } = clientFor(as);
    expect((await client.exchange(request(await partnerToken()))).verification).toBe('keys-unknown');

    // Keys of another server (the partner IdP) verify nothing the corporate server signs: 502, and nothing comes back.
    const wrongKeys = tokenClientConfig({ corp: { issuer: as.issuer, tokenEndpoint: as.tokenEndpoint, clientSecretId: 'gatepass/client_secret_basic', jwksUri: idp.jwksUri } });
    expect(await code(new TokenExchangeClient({ config: wrongKeys, secrets }).exchange(request(await partnerToken())))).toBe(ErrorCode.ExchangeBadResponse);
  });

  it('authenticates with client_secret_post, the secret in the form and no Authorization header', async () => {
    const { client } = clientFor(as, 'client_secret_post');
    const issued = await client.exchange(request(await partnerToken()));
    expect((await as.verify(issued.accessToken))['client_id']).toBe('gw-post');
    expect(as.tokenRequests[0]).toMatchObject({ outcome: 'success', authorizationHeader: false, clientId: 'gw-post' });
  });

  it('authenticates with private_key_jwt, which the server verifies including jti replay', async () => {
    const { client } = clientFor(as, 'private_key_jwt');
    const first = await client.exchange(request(await partnerToken()));
    const second = await client.exchange(request(await partnerToken()));
    expect((await as.verify(first.accessToken))['client_id']).toBe('gw-jwt');
    expect((await as.verify(second.accessToken))['client_id']).toBe('gw-jwt');
    expect(as.tokenRequests.map((r) => r.outcome)).toEqual(['success', 'success']);
  });

  it('answers gateway_misconfigured when the private key does not match the registered one', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { client, secrets } = clientFor(as, 'private_key_jwt');
    secrets.store('gatepass/private_key_jwt', { client_id: 'gw-jwt', private_key_jwk: { ...(await exportJWK(privateKey)), kid: 'gw-jwt-1' } });
    expect(await code(client.exchange(request(await partnerToken())))).toBe(ErrorCode.GatewayMisconfigured);
    expect(as.tokenRequests.map((r) => r.outcome)).toEqual(['invalid_client']);
  });

  it('downscopes a same-issuer token to a subset of its own scopes', async () => {
    const { client } = clientFor(as);
    const subject = await as.mint({ sub: 'bob', aud: 'orders-service', scope: 'orders:read orders:write orders:admin' });
    const issued = await client.exchange(request(subject, { scope: ['orders:read'], subjectScopes: ['orders:read', 'orders:write', 'orders:admin'] }));
    const claims = await as.verify(issued.accessToken);
    expect(claims).toMatchObject({ sub: 'bob', scope: 'orders:read', aud: 'orders-service' });
  });

  it('is refused (exchange_denied) when downscoping asks for a scope the subject token lacks', async () => {
    const { client } = clientFor(as);
    const subject = await as.mint({ sub: 'bob', aud: 'orders-service', scope: 'orders:read' });
    expect(await code(client.exchange(request(subject, { scope: ['orders:write'], subjectScopes: ['orders:read'] })))).toBe(ErrorCode.ExchangeDenied);
    expect(as.tokenRequests[0]!.outcome).toBe('invalid_scope');
  });

  it('maps invalid_grant (an expired or untrusted subject token) and invalid_target to exchange_denied', async () => {
    const { client } = clientFor(as);
    const stranger = await generateTestKey('RS256');
    const forged = await mintJwt(stranger, { iss: idp.origin, sub: 'mallory', scope: 'orders:read' }, { header: { kid: partnerKey.kid } });
    expect(await code(client.exchange(request(forged)))).toBe(ErrorCode.ExchangeDenied);
    expect(await code(client.exchange(request(await partnerToken({ exp: Math.floor(Date.now() / 1000) - 600 }))))).toBe(ErrorCode.ExchangeDenied);
    expect(await code(client.exchange(request(await partnerToken(), { audience: ['nobody'], resource: [] })))).toBe(ErrorCode.ExchangeDenied);
    expect(as.tokenRequests.map((r) => r.outcome)).toEqual(['invalid_grant', 'invalid_grant', 'invalid_target']);
  });

  it('refuses a lax server that puts more scope in the token than was requested, even when its answer omits scope', async () => {
    const { client } = clientFor(laxAs);
    expect(await code(client.exchange(request(await partnerToken())))).toBe(ErrorCode.ExchangeNotNarrower);
  });

  it('asks for a jwt token type and accepts the N_A token_type that comes with it', async () => {
    const { client } = clientFor(as);
    const issued = await client.exchange(request(await partnerToken(), { requestedTokenType: TokenType.Jwt }));
    expect(issued).toMatchObject({ issuedTokenType: TokenType.Jwt, tokenType: 'N_A' });
  });
});

describe('delegation with actor tokens against a real oidc-provider', () => {
  it('sends the gateway client-credentials token as actor, and the issued token carries act', async () => {
    const { client, config } = clientFor(as);
    const resolver = new ActorResolver({ config, gatewayTokens: client });
    const subjectToken = await partnerToken();
    const actor = await resolver.resolve({
      actor: { source: 'gateway', enforceMayAct: true },
      authorizationServer: 'corp',
      headers: {},
      subjectClaims: unverifiedClaimsOf(subjectToken),
    });
    expect(actor?.tokenType).toBe(TokenType.AccessToken);
    const issued = await client.exchange(request(subjectToken, actor ? { actor } : {}));
    const claims = await as.verify(issued.accessToken);
    expect(claims['act']).toEqual({ sub: 'gw-basic', iss: as.issuer });
    expect(as.tokenRequests.map((r) => r.grantType)).toEqual(['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange']);
  });

  it('reuses the cached gateway token for later exchanges', async () => {
    const { client } = clientFor(as);
    const first = await client.clientCredentialsToken('corp');
    const second = await client.clientCredentialsToken('corp');
    expect(second.accessToken).toBe(first.accessToken);
    expect(as.calls.token).toBe(1);
  });

  it('nests the subject token’s previous act under the new actor', async () => {
    const { client } = clientFor(as);
    const subjectToken = await partnerToken({ act: { sub: 'first-actor' } });
    const actorToken = (await client.clientCredentialsToken('corp')).accessToken;
    const issued = await client.exchange(request(subjectToken, { actor: { token: actorToken, tokenType: TokenType.AccessToken } }));
    expect((await as.verify(issued.accessToken))['act']).toEqual({ sub: 'gw-basic', iss: as.issuer, act: { sub: 'first-actor' } });
  });

  it('lets gatepass refuse an actor that may_act excludes before the server is asked', async () => {
    const { client, config } = clientFor(as);
    const resolver = new ActorResolver({ config, gatewayTokens: client });
    const subjectToken = await partnerToken({ may_act: { sub: 'someone-else' } });
    const attempt = resolver.resolve({
      actor: { source: 'gateway', enforceMayAct: true },
      authorizationServer: 'corp',
      headers: {},
      subjectClaims: unverifiedClaimsOf(subjectToken),
    });
    expect(await code(attempt)).toBe(ErrorCode.ExchangeDenied);
    expect(as.tokenRequests.map((r) => r.grantType)).toEqual(['client_credentials']);
  });

  it('is refused by the server too when the actor does not match may_act (exchange_denied)', async () => {
    const { client } = clientFor(as);
    const subjectToken = await partnerToken({ may_act: { sub: 'someone-else' } });
    const actorToken = (await client.clientCredentialsToken('corp')).accessToken;
    const attempt = client.exchange(request(subjectToken, { actor: { token: actorToken, tokenType: TokenType.AccessToken } }));
    expect(await code(attempt)).toBe(ErrorCode.ExchangeDenied);
    expect(as.tokenRequests.at(-1)!.outcome).toBe('invalid_grant');
  });

  it('accepts a header actor that may_act names, and the server verifies that actor token', async () => {
    const { client, config } = clientFor(as);
    const resolver = new ActorResolver({ config, gatewayTokens: client });
    const actorToken = await mintJwt(partnerKey, { iss: idp.origin, sub: 'batch-service' });
    const subjectToken = await partnerToken({ may_act: { sub: 'batch-service', iss: idp.origin } });
    const actor = await resolver.resolve({
      actor: { source: 'header', header: 'X-Actor-Token', enforceMayAct: true },
      authorizationServer: 'corp',
      headers: { 'x-actor-token': `Bearer ${actorToken}` },
      subjectClaims: unverifiedClaimsOf(subjectToken),
    });
    const issued = await client.exchange(request(subjectToken, actor ? { actor } : {}));
    expect((await as.verify(issued.accessToken))['act']).toEqual({ sub: 'batch-service', iss: idp.origin });
  });
});
