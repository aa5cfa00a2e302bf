import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authenticatesWithBasic, basicCredentials, replayJson, type ReplayedRequest } from '../support/provider-replay-server.js';
import { afterForcedRereadInterval, forwardedToken, startRecipeGateway, type ProviderHost, type RecipeGateway } from '../support/recipe-gateway.js';

/**
 * Okta On-Behalf-Of Token Exchange, replayed from Okta's documentation, through the
 * configuration of docs/providers/okta.md.
 *
 * Sources (read for this suite):
 * - Guide: https://github.com/okta/okta-developer-docs/blob/6b73e5ea12a2ed6cb1f0cce543ff55a2068ff0f4/packages/@okta/vuepress-site/docs/guides/set-up-token-exchange/main/index.md
 *   (published https://developer.okta.com/docs/guides/set-up-token-exchange/main/): Basic client
 *   authentication, `audience` = the authorization server's audience, `scope`, no
 *   `requested_token_type` in the example; the answer `token_type` Bearer, `expires_in` 3600,
 *   `access_token`, `scope`, `issued_token_type`; the token `aud` a string, `scp` a JSON array,
 *   `cid`, `uid`, `ver` 1, `sub` the user's login; trusted servers for exchanges between servers.
 * - Error catalogue: https://github.com/okta/okta-developer-docs/blob/05e2f489d25547d389a2c749b0e9cea51923b0d5/packages/@okta/vuepress-site/data/oauth2-error-codes.json:
 *   401 access_denied "Policy evaluation failed for this request, please check the policy
 *   configurations." (no_matching_policy); 403 access_denied "The 'subject_token' issuer isn't a
 *   trusted authorization server." (associated_server_not_trusted); 400 access_denied "Policy
 *   evaluation succeeded, but all the requested scopes were rejected." (no_scope_allowed).
 * - Bad client secret, 401 invalid_client: Okta's API-integration guide
 *   (packages/@okta/vuepress-site/docs/guides/build-api-integration/main/index.md, same
 *   repository); its exact `error_description` was not re-read for this suite, so none is asserted.
 */

const OKTA = 'https://example.okta.com';
const DEFAULT_SERVER = `${OKTA}/oauth2/default`;
const ORDERS_SERVER = `${OKTA}/oauth2/aus9awb5qgcRPB2Ey9c5`;
const SECRET_ID = 'gatepass/okta';
const CLIENT_ID = '0oa9aw62CPUnXomeU9c5';
const CLIENT_SECRET = 'okta-secret-canary';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

let gateway: RecipeGateway;
let okta: ProviderHost;

/** A caller's token from the default server (a native app's, with its own scopes). */
const callerToken = () =>
  okta.mint({ ver: 1, iss: gateway.local(DEFAULT_SERVER), aud: 'api://default', cid: '0oa-native-app', uid: '00u930ooYXgBltqbs9c5', scp: ['openid', 'app:use'], sub: 'user@example.com' });

/** Okta's documented success answer; the token's `aud` is the server's audience, `scp` the requested scopes. */
async function oktaSuccess(request: ReplayedRequest, issuer: string, scopes = (request.form.get('scope') ?? '').split(' ')) {
  const accessToken = await okta.mint({
    ver: 1,
    iss: gateway.local(issuer),
    aud: request.form.get('audience'),
    cid: CLIENT_ID,
    uid: '00u930ooYXgBltqbs9c5',
    scp: scopes,
    sub: 'user@example.com',
  });
  return replayJson(200, { token_type: 'Bearer', expires_in: 3600, access_token: accessToken, scope: scopes.join(' '), issued_token_type: ACCESS_TOKEN_TYPE });
}

const authenticated = (request: ReplayedRequest) => authenticatesWithBasic(request, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
const invalidClient = () => replayJson(401, { error: 'invalid_client', error_description: 'Client authentication failed.' });

beforeAll(async () => {
  gateway = await startRecipeGateway('okta', { [SECRET_ID]: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET } });
  okta = gateway.host(OKTA);
});

afterAll(() => gateway.stop());

beforeEach(() => {
  gateway.answerTokens('okta-orders', (request) => (authenticated(request) ? oktaSuccess(request, ORDERS_SERVER) : invalidClient()));
  gateway.answerTokens('okta-default', (request) => (authenticated(request) ? oktaSuccess(request, DEFAULT_SERVER) : invalidClient()));
});

describe('Okta recipe (docs/providers/okta.md)', () => {
  it('sends what Okta documents: the token-exchange grant, the server audience, the scope, Basic client authentication, no resource', async () => {
    const token = await callerToken();
    const before = gateway.tokenRequests('okta-orders').length;
    await gateway.call('orders-read', token);
    const [sent] = gateway.tokenRequests('okta-orders').slice(before);
    expect(sent).toBeDefined();
    expect(sent!.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(sent!.form.get('subject_token')).toBe(token);
    expect(sent!.form.get('subject_token_type')).toBe(ACCESS_TOKEN_TYPE);
    expect(sent!.form.getAll('audience')).toEqual(['com.api.orders']);
    expect(sent!.form.get('scope')).toBe('orders:read');
    expect(sent!.form.has('resource')).toBe(false);
    expect(basicCredentials(sent!)).toEqual({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    expect(sent!.form.has('client_secret')).toBe(false);
  });

  it('exchanges at a trusted server of the org (another issuer: federation) and forwards a token with scp as a JSON array', async () => {
    const result = await gateway.call('orders-read', await callerToken());
    expect(result.status).toBe(200);
    const issued = decodeJwt(forwardedToken(result.forwarded)!);
    expect(issued).toMatchObject({ aud: 'com.api.orders', scp: ['orders:read'], cid: CLIENT_ID });
  });

  it('refuses an answer that grants more than the route asked for: exchange_not_narrower', async () => {
    gateway.answerTokens('okta-orders', (request) => oktaSuccess(request, ORDERS_SERVER, ['orders:read', 'orders:write']));
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
    expect(result.forwarded).toBeUndefined();
  });

  it("403 access_denied (the subject token's server is not trusted) and 400 access_denied (no scope allowed) are exchange_denied", async () => {
    for (const [status, description] of [
      [403, "The 'subject_token' issuer isn't a trusted authorization server."],
      [400, 'Policy evaluation succeeded, but all the requested scopes were rejected.'],
    ] as const) {
      gateway.answerTokens('okta-orders', () => replayJson(status, { error: 'access_denied', error_description: description }));
      const result = await gateway.call('orders-read', await callerToken());
      expect(result, description).toMatchObject({ status: 403, code: 'exchange_denied' });
    }
  });

  it('401 invalid_client (a wrong secret) is the gateway\'s misconfiguration after one secret re-read', async () => {
    gateway.answerTokens('okta-orders', () => invalidClient());
    const reads = gateway.secrets.requests.bySecret.get(SECRET_ID) ?? 0;
    const token = await callerToken();
    const result = await gateway.call('orders-read', token);
    expect(result).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
    expect(gateway.secrets.requests.bySecret.get(SECRET_ID)).toBe(reads + 1);
    // The refusal is logged, never what was sent.
    expect(result.lines.length).toBeGreaterThan(0);
    for (const secretOrToken of [CLIENT_SECRET, token]) expect(JSON.stringify(result.lines)).not.toContain(secretOrToken);
  });

  it('400 unsupported_grant_type (the feature or the grant is off) is the gateway\'s misconfiguration', async () => {
    gateway.answerTokens('okta-orders', () => replayJson(400, { error: 'unsupported_grant_type', error_description: 'The authorization grant type is not supported by the authorization server.' }));
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
  });
});

describe('Okta recipe: delegation inside one server, any 401 a credential failure', () => {
  it('exchanges inside the server that issued the caller\'s token when the route says flow "delegation"', async () => {
    const before = gateway.tokenRequests('okta-default').length;
    const result = await gateway.call('profile-read', await callerToken());
    expect(result.status).toBe(200);
    expect(gateway.tokenRequests('okta-default').length).toBe(before + 1);
    expect(decodeJwt(forwardedToken(result.forwarded)!)).toMatchObject({ aud: 'api://default', scp: ['profile:read'] });
  });

  it('401 access_denied "Policy evaluation failed" (no matching policy) counts as refused credentials: one re-read, then gateway_misconfigured', () => afterForcedRereadInterval(async () => {
    gateway.answerTokens('okta-orders', () =>
      replayJson(401, { error: 'access_denied', error_description: 'Policy evaluation failed for this request, please check the policy configurations.' }),
    );
    const reads = gateway.secrets.requests.bySecret.get(SECRET_ID) ?? 0;
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
    expect(gateway.secrets.requests.bySecret.get(SECRET_ID)).toBe(reads + 1);
  }));

  it("verifies the target server's token with its jwksUri, and says so in the decision line", async () => {
    const result = await gateway.call('orders-read', await callerToken());
    expect(result.status).toBe(200);
    expect(result.decision).toMatchObject({ issuedTokenVerified: 'signature', narrowingFlow: 'federation' });
  });
});
