import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authenticatesWithBasic, basicCredentials, replayJson, type ReplayedRequest } from '../support/provider-replay-server.js';
import { forwardedToken, recipeMarkdown, startRecipeGateway, type ProviderHost, type RecipeGateway } from '../support/recipe-gateway.js';

/**
 * Spring Authorization Server 1.3+ token exchange, replayed from its source, through the
 * configuration of docs/providers/spring-authorization-server.md.
 *
 * Sources (read for this suite), in spring-projects/spring-authorization-server:
 * - oauth2-authorization-server/src/main/java/org/springframework/security/oauth2/server/authorization/authentication/OAuth2TokenExchangeAuthenticationProvider.java
 *   (@25a785de): unauthorized_client without the grant type, invalid_grant for a subject token the
 *   server does not hold or that is inactive, invalid_scope for a scope the client is not
 *   registered for, invalid_request for `jwt` with opaque tokens; `issued_token_type` added to the
 *   answer; scopes default to the subject's.
 * - …/authorization/token/JwtGenerator.java (@041b94d6): `aud` = [the requesting client's id],
 *   `scope` = the authorized scopes as a collection (a JSON array), `nbf`, `jti`.
 * - …/authentication/OAuth2TokenExchangeAuthenticationToken.java (@2f1f45bc): `getAudiences()`,
 *   `getResources()`, which the recipe's customizer reads.
 * - Client authentication failure 401 `{"error":"invalid_client"}`: OAuth2ClientAuthenticationFilter
 *   (same repository; not re-read for this suite, so the body is only the error code).
 * Errors are `{"error": …}` without a description (OAuth2AuthenticationException(errorCode)).
 */

const SPRING = 'https://auth.example.com';
const CLIENT = { client_id: 'gatepass', client_secret: 'spring-secret-canary' };
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

let gateway: RecipeGateway;
let spring: ProviderHost;

/** A caller's token as Spring issues it to the web app: `scope` a JSON array, `aud` the client id. */
const callerToken = (scope = ['openid', 'orders.read']) => spring.mint({ iss: gateway.local(SPRING), sub: 'alice', aud: ['web-app'], scope, nbf: Math.floor(Date.now() / 1000) - 1 }, { header: { typ: 'JWT' } });

/** Spring's answer; `customized`: the recipe's customizer put the requested audience in `aud`. */
async function springSuccess(request: ReplayedRequest, options: { customized?: boolean; scopes?: string[] } = {}) {
  const scopes = options.scopes ?? (request.form.get('scope') ?? '').split(' ');
  const accessToken = await spring.mint(
    { iss: gateway.local(SPRING), sub: 'alice', aud: options.customized === false ? ['gatepass'] : request.form.getAll('audience'), scope: scopes, nbf: Math.floor(Date.now() / 1000) },
    { header: { typ: 'JWT' } },
  );
  return replayJson(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 299, scope: scopes.join(' '), issued_token_type: ACCESS_TOKEN_TYPE });
}

const authenticated = (request: ReplayedRequest) => authenticatesWithBasic(request, CLIENT);

beforeAll(async () => {
  gateway = await startRecipeGateway('spring-authorization-server', { 'gatepass/spring': CLIENT });
  spring = gateway.host(SPRING);
});

afterAll(() => gateway.stop());

beforeEach(() => {
  gateway.answerTokens('spring', (request) => (authenticated(request) ? springSuccess(request) : replayJson(401, { error: 'invalid_client' })));
});

describe('Spring Authorization Server recipe (docs/providers/spring-authorization-server.md)', () => {
  it('is a same-issuer configuration and shows the token customizer that puts the requested audience in aud', () => {
    const recipe = gateway.recipe as { issuers: Record<string, { issuer: string }>; authorizationServers: Record<string, { issuer: string }> };
    expect(recipe.authorizationServers['spring']!.issuer).toBe(recipe.issuers['spring']!.issuer);
    expect(recipeMarkdown('spring-authorization-server')).toMatch(/exchange\.getAudiences\(\)/);
  });
});

describe('Spring Authorization Server recipe: scope as a JSON array', () => {
  it('accepts a caller whose scope claim is a JSON array, and sends the grant, audience, scope and Basic client authentication', async () => {
    const token = await callerToken();
    const before = gateway.tokenRequests('spring').length;
    const result = await gateway.call('orders-read', token);
    expect(result.authorized).toBe(true);
    const [sent] = gateway.tokenRequests('spring').slice(before);
    expect(sent).toBeDefined();
    expect(sent!.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(sent!.form.get('subject_token')).toBe(token);
    expect(sent!.form.getAll('audience')).toEqual(['orders-api']);
    expect(sent!.form.get('scope')).toBe('orders.read');
    expect(basicCredentials(sent!)).toEqual({ clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret });
  });

  it('forwards the token of a server with the audience customizer (aud orders-api, scope ["orders.read"])', async () => {
    const result = await gateway.call('orders-read', await callerToken());
    expect(result.status).toBe(200);
    expect(decodeJwt(forwardedToken(result.forwarded)!)).toMatchObject({ aud: ['orders-api'], scope: ['orders.read'] });
    expect(result.decision).toMatchObject({ issuedTokenVerified: 'signature', narrowingFlow: 'downscoping', grantedScope: 'orders.read' });
  });

  it("refuses the default generator's token (aud = gatepass's client id): exchange_not_narrower", async () => {
    gateway.answerTokens('spring', (request) => springSuccess(request, { customized: false }));
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
    expect(result.forwarded).toBeUndefined();
  });

  it('refuses a token whose scope array holds more than the caller and the route allow: exchange_not_narrower', async () => {
    gateway.answerTokens('spring', async (request) => {
      const answer = await springSuccess(request, { scopes: ['orders.read', 'orders.write'] });
      // The answer's scope understates what the token carries.
      return { ...answer, body: { ...(answer.body as object), scope: 'orders.read' } };
    });
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
  });

  it('400 invalid_grant, invalid_scope and unauthorized_client are exchange_denied; 401 invalid_client is the gateway\'s misconfiguration', async () => {
    for (const error of ['invalid_grant', 'invalid_scope', 'unauthorized_client']) {
      gateway.answerTokens('spring', () => replayJson(400, { error }));
      expect(await gateway.call('orders-read', await callerToken()), error).toMatchObject({ status: 403, code: 'exchange_denied' });
    }
    gateway.answerTokens('spring', () => replayJson(401, { error: 'invalid_client' }));
    expect(await gateway.call('orders-read', await callerToken())).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
  });
});
