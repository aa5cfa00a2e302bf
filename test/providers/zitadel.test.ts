import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authenticatesWithBasic, basicCredentials, replayJson, type ReplayedRequest } from '../support/provider-replay-server.js';
import { forwardedToken, startRecipeGateway, type ProviderHost, type RecipeGateway } from '../support/recipe-gateway.js';

/**
 * ZITADEL token exchange, replayed from its source, through the configuration of
 * docs/providers/zitadel.md.
 *
 * Sources (read for this suite):
 * - internal/api/oidc/token_exchange.go in zitadel/zitadel (@0c403d8f, and @35497809 for the
 *   `resource` refusal): `resource` → invalid_target "resource parameter not supported"; a bad
 *   subject token → invalid_request "subject_token invalid"; a requested audience outside the
 *   subject's → invalid_target "audience %q not found in subject or actor token"; a scope outside
 *   the subject's → invalid_scope "scope %q not found in subject or actor token"; scopes default
 *   to the subject's; requested `jwt` → a JWT with `token_type` Bearer and `issued_token_type` jwt.
 * - The answer's shape (TokenExchangeResponse: access_token, issued_token_type, token_type,
 *   expires_in and scope omitted when empty) and RequestError's JSON `{error, error_description}`:
 *   zitadel/oidc pkg/oidc/token.go and pkg/op/error.go at
 *   https://github.com/zitadel/oidc/blob/81322d90d32a331bbf05574be8147e1913628d47/pkg (not re-read).
 * - ZITADEL's guide https://zitadel.com/docs/guides/integrate/token-exchange: requested_token_type
 *   access_token gives an opaque token only (hence the recipe asks for `jwt`).
 * - invalid_client answered with 401: zitadel/oidc pkg/op/error.go (not re-read; the body's
 *   description is not asserted).
 */

const ZITADEL = 'https://example-abc123.zitadel.cloud';
const GATEPASS_PROJECT = '284719823749823741';
const ORDERS_PROJECT = '284719823749823749';
const CLIENT = { client_id: '284719823749823745@gatepass', client_secret: 'zitadel-secret-canary' };
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

let gateway: RecipeGateway;
let zitadel: ProviderHost;

/** A user's token with both projects in `aud` (asked for with the reserved …:aud scopes). */
const callerToken = () =>
  zitadel.mint({ iss: gateway.local(ZITADEL), sub: '284719823749800001', aud: [GATEPASS_PROJECT, ORDERS_PROJECT, 'web-app-client'], client_id: 'web-app-client', scope: 'openid profile email' });

/** What token_exchange.go does: narrow the audience to the requested one, keep the subject's scopes. */
async function zitadelExchange(request: ReplayedRequest) {
  const subject = decodeJwt(request.form.get('subject_token') ?? '');
  const subjectAudience = subject.aud as string[];
  const requested = request.form.getAll('audience');
  if (request.form.getAll('resource').length > 0) return replayJson(400, { error: 'invalid_target', error_description: 'resource parameter not supported' });
  const outside = requested.find((a) => !subjectAudience.includes(a));
  if (outside !== undefined) return replayJson(400, { error: 'invalid_target', error_description: `audience "${outside}" not found in subject or actor token` });
  const scopes = (subject['scope'] as string).split(' ');
  const accessToken = await zitadel.mint({ iss: gateway.local(ZITADEL), sub: subject.sub, aud: requested.length > 0 ? requested : subjectAudience, client_id: CLIENT.client_id, scope: scopes.join(' ') });
  return replayJson(200, { access_token: accessToken, issued_token_type: JWT_TYPE, token_type: 'Bearer', expires_in: 43199, scope: scopes.join(' ') });
}

const authenticated = (request: ReplayedRequest) => authenticatesWithBasic(request, CLIENT);

beforeAll(async () => {
  gateway = await startRecipeGateway('zitadel', { 'gatepass/zitadel': CLIENT });
  zitadel = gateway.host(ZITADEL);
});

afterAll(() => gateway.stop());

beforeEach(() => {
  gateway.answerTokens('zitadel', (request) => (authenticated(request) ? zitadelExchange(request) : replayJson(401, { error: 'invalid_client' })));
});

describe('ZITADEL recipe (docs/providers/zitadel.md)', () => {
  it('sends the audience, never resource, requested_token_type jwt and Basic client authentication', async () => {
    const token = await callerToken();
    const before = gateway.tokenRequests('zitadel').length;
    await gateway.call('orders-read', token);
    const [sent] = gateway.tokenRequests('zitadel').slice(before);
    expect(sent).toBeDefined();
    expect(sent!.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(sent!.form.get('subject_token')).toBe(token);
    expect(sent!.form.getAll('audience')).toEqual([ORDERS_PROJECT]);
    expect(sent!.form.has('resource')).toBe(false);
    expect(sent!.form.get('requested_token_type')).toBe(JWT_TYPE);
    expect(basicCredentials(sent!)).toEqual({ clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret });
  });

  it("forwards ZITADEL's JWT, narrowed to the requested audience, with the subject's own scopes (downscoping)", async () => {
    const result = await gateway.call('orders-read', await callerToken());
    expect(result.status).toBe(200);
    expect(decodeJwt(forwardedToken(result.forwarded)!)).toMatchObject({ aud: [ORDERS_PROJECT], scope: 'openid profile email' });
  });

  it('400 invalid_target (audience not in the subject token, or resource sent), invalid_scope and invalid_request are exchange_denied', async () => {
    for (const [error, description] of [
      ['invalid_target', `audience "${ORDERS_PROJECT}" not found in subject or actor token`],
      ['invalid_target', 'resource parameter not supported'],
      ['invalid_scope', 'scope "orders" not found in subject or actor token'],
      ['invalid_request', 'subject_token invalid'],
    ] as const) {
      gateway.answerTokens('zitadel', () => replayJson(400, { error, error_description: description }));
      expect(await gateway.call('orders-read', await callerToken()), description).toMatchObject({ status: 403, code: 'exchange_denied' });
    }
  });

  it('refuses an answer whose token keeps an audience the route did not ask for: exchange_not_narrower', async () => {
    gateway.answerTokens('zitadel', async (request) => {
      const answer = await zitadelExchange(request);
      const accessToken = await zitadel.mint({ iss: gateway.local(ZITADEL), sub: '284719823749800001', aud: [ORDERS_PROJECT, GATEPASS_PROJECT], scope: 'openid profile email' });
      return { ...answer, body: { ...(answer.body as object), access_token: accessToken } };
    });
    expect(await gateway.call('orders-read', await callerToken())).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
  });

  it("401 invalid_client is the gateway's misconfiguration after one secret re-read", async () => {
    gateway.answerTokens('zitadel', () => replayJson(401, { error: 'invalid_client' }));
    expect(await gateway.call('orders-read', await callerToken())).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
  });
});

describe('ZITADEL recipe: the issued JWT verified with the instance keys', () => {
  it('verifies the exchanged JWT with the issuer\'s keys and narrows as downscoping', async () => {
    const result = await gateway.call('orders-read', await callerToken());
    expect(result.status).toBe(200);
    expect(result.decision).toMatchObject({ issuedTokenVerified: 'signature', narrowingFlow: 'downscoping' });
  });
});
