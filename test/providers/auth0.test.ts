import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postedCredentials, replayJson, type ReplayedRequest } from '../support/provider-replay-server.js';
import { forwardedToken, startRecipeGateway, type ProviderHost, type RecipeGateway } from '../support/recipe-gateway.js';

/**
 * Auth0 On-Behalf-Of Token Exchange and Custom Token Exchange, replayed from Auth0's
 * documentation, through the configuration of docs/providers/auth0.md.
 *
 * Sources (read for this suite):
 * - OBO: https://github.com/auth0/docs-v2/blob/383fe40338221e10f8016f60c8421accad87a81f/main/docs/api/authentication/on-behalf-of-token-exchange/get-token.mdx
 *   (published https://auth0.com/docs/api/authentication/on-behalf-of-token-exchange/get-token):
 *   required `requested_token_type` access_token, `audience`, client_id/client_secret (body or
 *   Basic); answer `access_token`, `expires_in` 86400, `token_type` Bearer (DPoP with DPoP),
 *   `issued_token_type`, `scope` only when it differs; 400 `invalid_request` "Delegation chain
 *   (`act` claim) depth exceeds the maximum allowed limit of 5"; 401 for an invalid or expired
 *   subject token or wrong client credentials; 403 for missing permission or scopes.
 * - CTE: https://github.com/auth0/docs-v2/blob/05c1e7e8670a929181b4856d0b758e60376ea530/main/docs/api/authentication/custom-token-exchange/get-token.mdx:
 *   `subject_token_type` a URI outside the reserved namespaces, optional `audience`, `scope`,
 *   `resource` only in the compatibility profile, no `requested_token_type` among the parameters
 *   (whether Auth0 refuses one could not be confirmed; gatepass sends it).
 * - The `/userinfo` audience with `openid`: access-token profiles,
 *   https://github.com/auth0/docs-v2/blob/092b879e3fa93fa3a8adaa5f647580eab260ad0c/main/docs/secure/tokens/access-tokens/access-token-profiles.mdx
 *   (not re-read for this suite).
 * - Bad client credentials: 401 `{"error":"access_denied","error_description":"Unauthorized"}`,
 *   found in several independent public code bases and notes, one stating it was verified
 *   against a live Auth0 tenant; also https://github.com/auth0/laravel-auth0/issues/42.
 *   Auth0 documents no `invalid_client` for this.
 */

const TENANT = 'https://example.us.auth0.com';
const ISSUER = `${TENANT}/`;
const PARTNER = 'https://idp.partner.example';
const GATEWAY_API = 'https://gateway.example.com';
const ORDERS_API = 'https://orders.example.com';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const OBO_CLIENT = { client_id: 'gatepass-api-client', client_secret: 'auth0-obo-secret-canary' };
const CTE_CLIENT = { client_id: 'gatepass-cte-client', client_secret: 'auth0-cte-secret-canary' };

let gateway: RecipeGateway;
let auth0: ProviderHost;
let partner: ProviderHost;

const tenantToken = () =>
  auth0.mint({ iss: gateway.local(ISSUER), sub: 'auth0|alice', aud: GATEWAY_API, azp: 'web-app-client', scope: 'use:gateway', permissions: ['use:gateway'] });
const partnerToken = () => partner.mint({ iss: gateway.local(PARTNER), sub: 'partner-user-7', aud: GATEWAY_API, scope: 'orders' });

/** Auth0's answer: a token for the requested audience, the user's permissions; `scope` only when it differs. */
async function auth0Success(request: ReplayedRequest, options: { aud?: unknown; granted?: string; tokenType?: string } = {}) {
  const requested = request.form.get('scope') ?? '';
  const granted = options.granted ?? requested;
  const accessToken = await auth0.mint({
    iss: gateway.local(ISSUER),
    sub: 'auth0|alice',
    aud: options.aud ?? request.form.get('audience'),
    azp: request.form.get('client_id'),
    scope: granted,
    permissions: granted.split(' '),
    act: { sub: request.form.get('client_id') },
  });
  return replayJson(200, {
    access_token: accessToken,
    expires_in: 86400,
    token_type: options.tokenType ?? 'Bearer',
    issued_token_type: ACCESS_TOKEN_TYPE,
    ...(granted !== requested ? { scope: granted } : {}),
  });
}

const unauthorized = () => replayJson(401, { error: 'access_denied', error_description: 'Unauthorized' });
/** What the tenant currently accepts as each client's secret. */
const accepted = new Map([
  [OBO_CLIENT.client_id, OBO_CLIENT.client_secret],
  [CTE_CLIENT.client_id, CTE_CLIENT.client_secret],
]);
const authenticated = (request: ReplayedRequest) => {
  const credentials = postedCredentials(request);
  return credentials !== undefined && accepted.get(credentials.clientId) === credentials.clientSecret;
};

beforeAll(async () => {
  gateway = await startRecipeGateway('auth0', { 'gatepass/auth0-obo': OBO_CLIENT, 'gatepass/auth0-cte': CTE_CLIENT });
  auth0 = gateway.host(TENANT);
  partner = gateway.host(PARTNER);
});

afterAll(() => gateway.stop());

beforeEach(() => {
  // Both servers of the recipe are the tenant's one token endpoint.
  gateway.answerTokens('auth0-obo', (request) => (authenticated(request) ? auth0Success(request) : unauthorized()));
});

describe('Auth0 recipe (docs/providers/auth0.md)', () => {
  it("names the tenant's issuer with its trailing slash: a token whose iss lacks it is refused", async () => {
    expect((gateway.recipe as { issuers: Record<string, { issuer: string }> }).issuers['auth0']!.issuer).toBe(ISSUER);
    const withoutSlash = await auth0.mint({ iss: gateway.local(TENANT), sub: 'auth0|alice', aud: GATEWAY_API, scope: 'use:gateway' });
    const before = gateway.tokenRequests('auth0-obo').length;
    expect(await gateway.call('orders-read', withoutSlash)).toMatchObject({ authorized: false, status: 403, code: 'issuer_not_accepted' });
    expect(gateway.tokenRequests('auth0-obo').length).toBe(before);
  });

  it('sends what OBO requires: requested_token_type, one audience, the client credentials in the body, no Authorization header', async () => {
    const token = await tenantToken();
    const before = gateway.tokenRequests('auth0-obo').length;
    await gateway.call('orders-read', token);
    const [sent] = gateway.tokenRequests('auth0-obo').slice(before);
    expect(sent).toBeDefined();
    expect(sent!.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(sent!.form.get('subject_token')).toBe(token);
    expect(sent!.form.get('subject_token_type')).toBe(ACCESS_TOKEN_TYPE);
    expect(sent!.form.get('requested_token_type')).toBe(ACCESS_TOKEN_TYPE);
    expect(sent!.form.getAll('audience')).toEqual([ORDERS_API]);
    expect(sent!.form.has('resource')).toBe(false);
    expect(postedCredentials(sent!)).toEqual({ clientId: OBO_CLIENT.client_id, clientSecret: OBO_CLIENT.client_secret });
    expect(sent!.headers.authorization).toBeUndefined();
  });

  it("sends what CTE requires: the profile's own subject_token_type, the audience, the CTE client's credentials", async () => {
    const token = await partnerToken();
    const before = gateway.tokenRequests('auth0-cte').length;
    await gateway.call('partner-orders', token);
    const [sent] = gateway.tokenRequests('auth0-cte').slice(before);
    expect(sent).toBeDefined();
    expect(sent!.form.get('subject_token')).toBe(token);
    expect(sent!.form.get('subject_token_type')).toBe('urn:partner-example:access-token');
    expect(sent!.form.getAll('audience')).toEqual([ORDERS_API]);
    expect(sent!.form.get('scope')).toBe('read:orders');
    expect(postedCredentials(sent!)).toEqual({ clientId: CTE_CLIENT.client_id, clientSecret: CTE_CLIENT.client_secret });
  });

  it('exchanges a partner token by Custom Token Exchange (another issuer: federation) and forwards the Auth0 token', async () => {
    const result = await gateway.call('partner-orders', await partnerToken());
    expect(result.status).toBe(200);
    expect(decodeJwt(forwardedToken(result.forwarded)!)).toMatchObject({ iss: gateway.local(ISSUER), aud: ORDERS_API, scope: 'read:orders' });
  });

  it('refuses a token that also names the tenant /userinfo audience (what openid adds): exchange_not_narrower', async () => {
    gateway.answerTokens('auth0-cte', (request) => auth0Success(request, { aud: [ORDERS_API, `${ISSUER}userinfo`] }));
    const result = await gateway.call('partner-orders', await partnerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
    expect(result.forwarded).toBeUndefined();
  });

  it('403 and 400 invalid_request (delegation chain too deep) are exchange_denied', async () => {
    for (const [status, body] of [
      [403, { error: 'access_denied', error_description: 'Forbidden' }],
      [400, { error: 'invalid_request', error_description: 'Delegation chain (`act` claim) depth exceeds the maximum allowed limit of 5' }],
    ] as const) {
      gateway.answerTokens('auth0-cte', () => replayJson(status, body));
      expect(await gateway.call('partner-orders', await partnerToken())).toMatchObject({ status: 403, code: 'exchange_denied' });
    }
  });

  it('a DPoP-bound answer (token_type DPoP) is exchange_bad_response: gatepass forwards bearer tokens only', async () => {
    gateway.answerTokens('auth0-cte', (request) => auth0Success(request, { tokenType: 'DPoP' }));
    expect(await gateway.call('partner-orders', await partnerToken())).toMatchObject({ status: 502, code: 'exchange_bad_response' });
  });
});

describe('Auth0 recipe: same-tenant delegation, any 401 a credential failure', () => {
  it('exchanges a tenant token On-Behalf-Of for another API of the same tenant (flow "delegation")', async () => {
    const result = await gateway.call('orders-read', await tenantToken());
    expect(result.status).toBe(200);
    expect(decodeJwt(forwardedToken(result.forwarded)!)).toMatchObject({ aud: ORDERS_API, scope: 'read:orders', act: { sub: OBO_CLIENT.client_id } });
    expect(result.decision).toMatchObject({ narrowingFlow: 'delegation', issuedTokenVerified: 'signature' });
  });

  it('401 access_denied "Unauthorized" after a rotation: one re-read of the secret, a retry with the new one, success', async () => {
    expect((await gateway.call('orders-read', await tenantToken())).status).toBe(200);
    const rotated = 'auth0-obo-secret-two-canary';
    accepted.set(OBO_CLIENT.client_id, rotated);
    gateway.secrets.rotate('gatepass/auth0-obo', { ...OBO_CLIENT, client_secret: rotated });
    const before = gateway.tokenRequests('auth0-obo').length;
    const result = await gateway.call('orders-read', await tenantToken());
    expect(result.status).toBe(200);
    expect(gateway.tokenRequests('auth0-obo').slice(before).map((r) => postedCredentials(r)?.clientSecret)).toEqual([OBO_CLIENT.client_secret, rotated]);
  });
});
