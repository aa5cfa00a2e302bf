import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basicCredentials, replayJson, type ReplayedRequest } from '../support/provider-replay-server.js';
import { afterForcedRereadInterval, forwardedToken, startRecipeGateway, type ProviderHost, type RecipeGateway } from '../support/recipe-gateway.js';

/**
 * Keycloak 26.2+ standard token exchange (v2), replayed from Keycloak's own documentation and
 * source, through the configuration of docs/providers/keycloak.md.
 *
 * Sources (read for this suite):
 * - Guide: https://github.com/keycloak/keycloak/blob/15a9a3656994f9db735132cc68fff3cf088462e3/docs/guides/securing-apps/token-exchange.adoc
 *   (published https://www.keycloak.org/securing-apps/token-exchange): the request (Basic client
 *   authentication, `audience` = client ids, no `resource` among the parameters), the success
 *   answer (`access_token`, `expires_in` 300, `token_type` Bearer, `issued_token_type`,
 *   `session_state`, `scope`, `refresh_expires_in` 0, `not-before-policy` 0), default client
 *   scopes always applied, `audience` filtering `aud`.
 * - services/src/main/java/org/keycloak/protocol/oidc/tokenexchange/StandardTokenExchangeProvider.java
 *   (keycloak/keycloak@01ff3a6c): "Invalid token" 400 invalid_request, "Public client is not
 *   allowed to exchange token" 400 invalid_client, "Invalid scopes" 400 invalid_scope,
 *   access tokens only as subject tokens.
 * - AbstractTokenExchangeProvider.java (forbiddenIfClientIsNotWithinTokenAudience): 403
 *   access_denied "Client is not within the token audience" (the source line and Keycloak's own
 *   token exchange testsuite, which asserts 403 FORBIDDEN with that description, were found in
 *   public code); 400 invalid_client "Audience not found" for an unknown `audience` client id
 *   (same file, and reports of it; the line was not re-read for this suite).
 * - Bad client secret: 401 `{"error":"unauthorized_client","error_description":"Invalid client or
 *   Invalid client credentials"}`: ClientIdAndSecretAuthenticator.java in keycloak/keycloak, and a
 *   captured HTTP exchange with its headers (HTTP/1.1 401, Content-Type application/json) found in
 *   public code; the status comes from that capture.
 */

const KEYCLOAK = 'https://keycloak.example.com';
const ISSUER = `${KEYCLOAK}/realms/corp`;
const SECRET_ID = 'gatepass/keycloak';
const FIRST_SECRET = 'kc-secret-one-canary';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

let gateway: RecipeGateway;
let keycloak: ProviderHost;
/** What Keycloak currently accepts as `gatepass`'s secret. */
const keycloakState = { acceptedSecret: FIRST_SECRET };

/** A caller's token as Keycloak issues it to a web app whose audience mapper adds `gatepass`. */
const callerToken = (scope = 'openid profile email orders:read') =>
  keycloak.mint(
    { iss: gateway.local(ISSUER), sub: 'f3a1c2d4-user', aud: ['gatepass', 'account'], azp: 'web-app', typ: 'Bearer', scope, preferred_username: 'alice' },
    { header: { typ: 'JWT' } },
  );

/** Keycloak's success answer (the guide's example), its token filtered to the requested audience. */
async function keycloakSuccess(request: ReplayedRequest, grantedScope = 'orders:read profile email') {
  const audiences = request.form.getAll('audience');
  const accessToken = await keycloak.mint(
    {
      iss: gateway.local(ISSUER),
      sub: 'f3a1c2d4-user',
      aud: audiences.length === 1 ? audiences[0] : audiences,
      azp: 'gatepass',
      typ: 'Bearer',
      scope: grantedScope,
      email: 'alice@example.com',
    },
    { header: { typ: 'JWT' } },
  );
  return replayJson(200, {
    access_token: accessToken,
    expires_in: 300,
    token_type: 'Bearer',
    issued_token_type: ACCESS_TOKEN_TYPE,
    session_state: '287f3c57-32b8-4c0f-8b00-8c7db231d701',
    scope: grantedScope,
    refresh_expires_in: 0,
    'not-before-policy': 0,
  });
}

/** Keycloak's client authentication: a wrong secret is 401 unauthorized_client. */
function authenticated(request: ReplayedRequest): boolean {
  const credentials = basicCredentials(request);
  return credentials?.clientId === 'gatepass' && credentials.clientSecret === keycloakState.acceptedSecret;
}
const badCredentials = () => replayJson(401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' });

beforeAll(async () => {
  gateway = await startRecipeGateway('keycloak', { [SECRET_ID]: { client_id: 'gatepass', client_secret: FIRST_SECRET } });
  keycloak = gateway.host(KEYCLOAK);
});

afterAll(() => gateway.stop());

beforeEach(() => {
  gateway.answerTokens('keycloak', (request) => (authenticated(request) ? keycloakSuccess(request) : badCredentials()));
});

describe('Keycloak recipe (docs/providers/keycloak.md)', () => {
  it('is one configuration the schema accepts, with the realm as both issuer and authorization server', () => {
    const recipe = gateway.recipe as { issuers: Record<string, { issuer: string }>; authorizationServers: Record<string, { issuer: string }> };
    expect(recipe.issuers['keycloak']!.issuer).toBe(ISSUER);
    expect(recipe.authorizationServers['keycloak']!.issuer).toBe(ISSUER);
  });

  it('sends what Keycloak documents: the token-exchange grant, audience as client ids, no resource, Basic client authentication', async () => {
    const token = await callerToken();
    const before = gateway.tokenRequests('keycloak').length;
    await gateway.call('orders-read', token);
    const [sent] = gateway.tokenRequests('keycloak').slice(before);
    expect(sent).toBeDefined();
    expect(sent!.method).toBe('POST');
    expect(sent!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent!.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(sent!.form.get('subject_token')).toBe(token);
    expect(sent!.form.get('subject_token_type')).toBe(ACCESS_TOKEN_TYPE);
    expect(sent!.form.get('requested_token_type')).toBe(ACCESS_TOKEN_TYPE);
    expect(sent!.form.getAll('audience')).toEqual(['orders-api']);
    expect(sent!.form.has('resource')).toBe(false);
    expect(sent!.form.get('scope')).toBe('orders:read');
    expect(basicCredentials(sent!)).toEqual({ clientId: 'gatepass', clientSecret: FIRST_SECRET });
    expect(sent!.form.has('client_secret')).toBe(false);
  });

  it('refuses a realm scope beyond the caller\'s own (a default client scope that is not an identity scope): exchange_not_narrower', async () => {
    gateway.answerTokens('keycloak', (request) => keycloakSuccess(request, 'orders:read orders:admin profile email'));
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
    expect(result.forwarded).toBeUndefined();
  });

  it('403 access_denied "Client is not within the token audience" is exchange_denied', async () => {
    gateway.answerTokens('keycloak', () => replayJson(403, { error: 'access_denied', error_description: 'Client is not within the token audience' }));
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 403, code: 'exchange_denied' });
    expect(result.forwarded).toBeUndefined();
  });

  it('400 invalid_request "Requested audience not available" and 400 invalid_scope are exchange_denied', async () => {
    for (const answer of [
      { error: 'invalid_request', error_description: 'Requested audience not available: orders-api' },
      { error: 'invalid_scope', error_description: 'Invalid scopes: orders:read' },
      { error: 'invalid_request', error_description: 'Invalid token' },
    ]) {
      gateway.answerTokens('keycloak', () => replayJson(400, answer));
      const result = await gateway.call('orders-read', await callerToken());
      expect(result, answer.error_description).toMatchObject({ status: 403, code: 'exchange_denied' });
    }
  });

  it('400 invalid_client "Audience not found" (an unknown client id in audience) is reported as the gateway\'s misconfiguration', async () => {
    gateway.answerTokens('keycloak', () => replayJson(400, { error: 'invalid_client', error_description: 'Audience not found' }));
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
  });

  it('400 invalid_client "Public client is not allowed to exchange token" is the gateway\'s misconfiguration', async () => {
    gateway.answerTokens('keycloak', () => replayJson(400, { error: 'invalid_client', error_description: 'Public client is not allowed to exchange token' }));
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
  });
});

describe('Keycloak recipe: identity scopes, any 401 a credential failure, verified issued tokens', () => {
  it("accepts Keycloak's answer with the realm's default client scopes (profile email) and forwards its token", async () => {
    const result = await gateway.call('orders-read', await callerToken());
    expect(result.status).toBe(200);
    const issued = decodeJwt(forwardedToken(result.forwarded)!);
    expect(issued['aud']).toBe('orders-api');
    expect(issued['scope']).toBe('orders:read profile email');
    expect(result.decision).toMatchObject({ narrowingFlow: 'downscoping', identityScopesIgnored: 'email profile', issuedTokenVerified: 'signature' });
  });

  it('401 unauthorized_client after a rotation: gatepass re-reads the secret, retries once with the new one, and succeeds', () => afterForcedRereadInterval(async () => {
    // Warm the secret cache with the first secret, then rotate it at Keycloak and in Secrets Manager.
    expect((await gateway.call('orders-read', await callerToken('openid orders:read'))).status).toBe(200);
    const ROTATED_SECRET = 'kc-secret-two-canary';
    keycloakState.acceptedSecret = ROTATED_SECRET;
    gateway.secrets.rotate(SECRET_ID, { client_id: 'gatepass', client_secret: ROTATED_SECRET });
    const before = gateway.tokenRequests('keycloak').length;
    const result = await gateway.call('orders-read', await callerToken('openid email orders:read'));
    expect(result.status).toBe(200);
    const tries = gateway.tokenRequests('keycloak').slice(before).map((r) => basicCredentials(r)?.clientSecret);
    expect(tries).toEqual([FIRST_SECRET, ROTATED_SECRET]);
  }));

  it('a token whose signature does not verify with the realm keys never reaches the upstream', async () => {
    gateway.answerTokens('keycloak', async (request) => {
      const answer = await keycloakSuccess(request, 'orders:read');
      const body = answer.body as { access_token: string };
      const [header, payload] = body.access_token.split('.');
      return { ...answer, body: { ...body, access_token: `${header}.${payload}.${'A'.repeat(342)}` } };
    });
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_bad_response' });
    expect(result.forwarded).toBeUndefined();
  });
});
