import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postedCredentials, replayJson, type ReplayedRequest } from '../support/provider-replay-server.js';
import { forwardedToken, startRecipeGateway, type ProviderHost, type RecipeGateway } from '../support/recipe-gateway.js';

/**
 * Microsoft Entra ID On-Behalf-Of (RFC 7523 jwt-bearer), replayed from Microsoft's
 * documentation, through the configuration of docs/providers/entra-id.md.
 *
 * Sources (read for this suite):
 * - https://github.com/MicrosoftDocs/entra-docs/blob/011a3309cbc87ea9f0601fac04d47425b60102d6/docs/identity-platform/v2-oauth2-on-behalf-of-flow.md
 *   (published https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow):
 *   the request (`grant_type` jwt-bearer, `client_id`, `client_secret` in the body or Basic,
 *   `assertion`, `scope`, `requested_token_use` on_behalf_of, all required); the answer
 *   (`token_type` Bearer, `scope` with the resource prefix as requested, `expires_in`,
 *   `ext_expires_in`, `access_token`; no `issued_token_type` outside the SAML variant); the
 *   token format chosen by the resource; the error example AADSTS50079 `interaction_required`
 *   with `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `claims`.
 * - Token claims (v2.0 `iss` …/v2.0, `aud` the API's client id, `scp` short and space separated):
 *   https://github.com/MicrosoftDocs/entra-docs/blob/003f1aad061e882b17e07cfa8c7ec008d0385c3e/docs/identity-platform/access-token-claims-reference.md
 *   (not re-read for this suite).
 * - AADSTS65001 `invalid_grant` with `suberror` consent_required, HTTP 400:
 *   https://github.com/MicrosoftDocs/azure-docs/issues/39189 and
 *   https://github.com/OfficeDev/microsoft-teams-apps-contactgrouplookup/issues/43 (not re-read).
 * - AADSTS7000215 `invalid_client`, HTTP 401: https://github.com/keycloak/keycloak/issues/31294 (not re-read).
 * - AADSTS70003 `unsupported_grant_type` for the RFC 8693 grant: https://github.com/lakekeeper/lakekeeper/issues/967 (not re-read).
 * Entra's order of checks (client credentials before the grant) is not documented; the replay
 * checks the client first.
 */

const TENANT = '11111111-2222-3333-4444-555555555555';
const LOGIN = 'https://login.microsoftonline.com';
const V2_ISSUER = `${LOGIN}/${TENANT}/v2.0`;
const GATEPASS_APP = '6e7a1f3c-1b2d-4c5e-9f80-a1b2c3d4e5f6';
const ORDERS_APP = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const CLIENT_SECRET = 'entra-secret-value-canary';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TRACE_ID = 'b72a68c3-0926-4b8e-bc35-3150069c2800';
const CORRELATION_ID = '73d656cf-54b1-4eb2-b429-26d8165a52d7';
/** Entra's error answers carry this content type (charset included). */
const ENTRA_JSON = 'application/json; charset=utf-8';

let gateway: RecipeGateway;
let entra: ProviderHost;

/** A user's v2.0 token for gatepass's API. */
const callerToken = (claims: Record<string, unknown> = {}) =>
  entra.mint(
    { aud: GATEPASS_APP, iss: gateway.local(V2_ISSUER), azp: 'spa-client-id', scp: 'Gateway.Use', ver: '2.0', tid: TENANT, oid: 'd5e979c7-user', sub: 'mkL0pb-yi1t5rDFwbSgRoMlkdNvou3J3V6o8PQ7jUBE', ...claims },
    { header: { typ: 'JWT' } },
  );

/** Entra's error body: the AADSTS code leads the description, with the trace and correlation ids. */
function aadsts(status: number, error: string, code: number, message: string, extra: Record<string, unknown> = {}) {
  const timestamp = '2026-12-07 00:30:00Z';
  return replayJson(
    status,
    {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${TRACE_ID}\r\nCorrelation ID: ${CORRELATION_ID}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: TRACE_ID,
      correlation_id: CORRELATION_ID,
      error_uri: `${LOGIN}/error?code=${code}`,
      ...extra,
    },
    ENTRA_JSON,
  );
}

/** Entra's OBO success for `api://orders/...` scopes: a v2.0 token for the orders API (it asks for v2.0). */
async function oboSuccess(request: ReplayedRequest) {
  const requested = (request.form.get('scope') ?? '').split(' ');
  const short = requested.filter((s) => !s.endsWith('/.default')).map((s) => s.slice(s.lastIndexOf('/') + 1));
  const granted = short.length > 0 ? short : ['Orders.Read'];
  const accessToken = await entra.mint(
    { aud: ORDERS_APP, iss: gateway.local(V2_ISSUER), azp: GATEPASS_APP, scp: granted.join(' '), ver: '2.0', tid: TENANT, oid: 'd5e979c7-user', sub: 'a-pairwise-sub-for-orders' },
    { header: { typ: 'JWT' } },
  );
  const scope = short.length > 0 ? requested.join(' ') : `${granted.map((s) => `api://orders/${s}`).join(' ')} api://orders/.default`;
  return replayJson(200, { token_type: 'Bearer', scope, expires_in: 3599, ext_expires_in: 3599, access_token: accessToken }, ENTRA_JSON);
}

/** Entra's token endpoint: the client first, then the grant, then OBO. */
function entraEndpoint(request: ReplayedRequest) {
  const credentials = postedCredentials(request);
  if (credentials?.clientId !== GATEPASS_APP || credentials.clientSecret !== CLIENT_SECRET) {
    return aadsts(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${GATEPASS_APP}'.`);
  }
  if (request.form.get('grant_type') !== JWT_BEARER) {
    return aadsts(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }
  return oboSuccess(request);
}

beforeAll(async () => {
  gateway = await startRecipeGateway('entra-id', { 'gatepass/entra-obo': { client_id: GATEPASS_APP, client_secret: CLIENT_SECRET } });
  entra = gateway.host(LOGIN);
});

afterAll(() => gateway.stop());

beforeEach(() => {
  gateway.answerTokens('entra', entraEndpoint);
});

describe('Microsoft Entra ID recipe (docs/providers/entra-id.md)', () => {
  it('names the v2.0 issuer on both sides and the jwt-bearer grant with requested_token_use', () => {
    const recipe = gateway.recipe as { issuers: Record<string, { issuer: string }>; authorizationServers: Record<string, Record<string, unknown>> };
    expect(recipe.issuers['entra']!.issuer).toBe(V2_ISSUER);
    expect(recipe.authorizationServers['entra']).toMatchObject({ issuer: V2_ISSUER, grant: 'jwt-bearer', parameters: { requested_token_use: 'on_behalf_of' } });
  });

  it("refuses a caller's v1.0 token (iss https://sts.windows.net/<tenant>/) before any exchange: the API must ask for v2.0 tokens", async () => {
    const v1 = await entra.mint({ aud: GATEPASS_APP, iss: `https://sts.windows.net/${TENANT}/`, appid: 'spa-client-id', scp: 'Gateway.Use', ver: '1.0' });
    const before = gateway.tokenRequests('entra').length;
    expect(await gateway.call('orders-read', v1)).toMatchObject({ authorized: false, status: 403, code: 'issuer_not_accepted' });
    expect(gateway.tokenRequests('entra').length).toBe(before);
  });

  it('401 invalid_client AADSTS7000215 (a wrong secret) is the gateway\'s misconfiguration after one secret re-read', async () => {
    // The first exchange of this container reads the secret into its cache.
    await gateway.call('orders-read', await callerToken());
    gateway.answerTokens('entra', () => aadsts(401, 'invalid_client', 7000215, 'Invalid client secret provided.'));
    const reads = gateway.secrets.requests.bySecret.get('gatepass/entra-obo') ?? 0;
    const token = await callerToken();
    const result = await gateway.call('orders-read', token);
    expect(result).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
    expect(gateway.secrets.requests.bySecret.get('gatepass/entra-obo')).toBe(reads + 1);
    // The refusal is logged, never what was sent.
    expect(result.lines.length).toBeGreaterThan(0);
    for (const secretOrToken of [CLIENT_SECRET, token]) expect(JSON.stringify(result.lines)).not.toContain(secretOrToken);
  });

  it('400 interaction_required AADSTS50079 with a claims challenge (Conditional Access) is exchange_denied', async () => {
    gateway.answerTokens('entra', () =>
      aadsts(400, 'interaction_required', 50079, "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multifactor authentication to access 'bf8d80f9-9098-4972-b203-500f535113b1'.", {
        claims: '{"access_token":{"polids":{"essential":true,"values":["9ab03e19-ed42-4168-b6b7-7001fb3e933a"]}}}',
      }),
    );
    expect(await gateway.call('orders-read', await callerToken())).toMatchObject({ status: 403, code: 'exchange_denied' });
  });
});

describe('Microsoft Entra ID recipe: jwt-bearer, prefixed scopes, AADSTS errors', () => {
  it('sends what OBO requires: jwt-bearer, the token as assertion, requested_token_use, the prefixed scope, the client in the body; no RFC 8693 parameters', async () => {
    const token = await callerToken();
    const before = gateway.tokenRequests('entra').length;
    await gateway.call('orders-read', token);
    const [sent] = gateway.tokenRequests('entra').slice(before);
    expect(sent).toBeDefined();
    expect(sent!.form.get('grant_type')).toBe(JWT_BEARER);
    expect(sent!.form.get('assertion')).toBe(token);
    expect(sent!.form.get('requested_token_use')).toBe('on_behalf_of');
    expect(sent!.form.get('scope')).toBe('api://orders/Orders.Read');
    expect(postedCredentials(sent!)).toEqual({ clientId: GATEPASS_APP, clientSecret: CLIENT_SECRET });
    expect(sent!.headers.authorization).toBeUndefined();
    for (const name of ['subject_token', 'subject_token_type', 'audience', 'resource']) expect(sent!.form.has(name), name).toBe(false);
  });

  it("accepts Entra's answer (no issued_token_type, prefixed scope in the answer, short scp in the token) and forwards the verified token", async () => {
    const result = await gateway.call('orders-read', await callerToken());
    expect(result.status).toBe(200);
    expect(decodeJwt(forwardedToken(result.forwarded)!)).toMatchObject({ aud: ORDERS_APP, scp: 'Orders.Read', ver: '2.0' });
    expect(result.decision).toMatchObject({ narrowingFlow: 'delegation', issuedTokenVerified: 'signature', grantedScope: 'api://orders/Orders.Read' });
  });

  it('asks for api://orders/.default on the .default route and accepts the granted permissions for the API\'s client id named in the route', async () => {
    const before = gateway.tokenRequests('entra').length;
    const result = await gateway.call('orders-all', await callerToken());
    expect(gateway.tokenRequests('entra').slice(before).map((r) => r.form.get('scope'))).toEqual(['api://orders/.default']);
    expect(result.status).toBe(200);
    expect(result.decision).toMatchObject({ defaultScopeResources: ['api://orders'], grantedScope: 'api://orders/Orders.Read api://orders/.default' });
  });

  it('refuses a .default token meant for another API (Microsoft Graph): exchange_not_narrower', async () => {
    gateway.answerTokens('entra', async (request) => {
      const answer = await oboSuccess(request);
      const graphToken = await entra.mint({ aud: '00000003-0000-0000-c000-000000000000', iss: gateway.local(V2_ISSUER), azp: GATEPASS_APP, scp: 'Orders.Read', ver: '2.0' });
      return { ...answer, body: { ...(answer.body as object), access_token: graphToken } };
    });
    expect(await gateway.call('orders-all', await callerToken())).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
  });

  it('refuses a token whose scp holds more than the requested Orders.Read: exchange_not_narrower', async () => {
    gateway.answerTokens('entra', async (request) => {
      const answer = await oboSuccess(request);
      const accessToken = await entra.mint({ aud: ORDERS_APP, iss: gateway.local(V2_ISSUER), azp: GATEPASS_APP, scp: 'Orders.Read Orders.Write', ver: '2.0' });
      return { ...answer, body: { ...(answer.body as object), access_token: accessToken } };
    });
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
    expect(result.forwarded).toBeUndefined();
  });

  it('refuses a v1.0 token from a downstream API that did not ask for v2.0 (its iss is not the configured issuer)', async () => {
    gateway.answerTokens('entra', async (request) => {
      const answer = await oboSuccess(request);
      const v1 = await entra.mint({ aud: 'api://orders', iss: `https://sts.windows.net/${TENANT}/`, appid: GATEPASS_APP, scp: 'Orders.Read', ver: '1.0' });
      return { ...answer, body: { ...(answer.body as object), access_token: v1 } };
    });
    const result = await gateway.call('orders-read', await callerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_bad_response' });
    expect(result.forwarded).toBeUndefined();
  });

  it('400 invalid_grant AADSTS65001 consent_required is exchange_denied, with the code, the suberror and the trace id in the log', async () => {
    gateway.answerTokens('entra', () =>
      aadsts(400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${GATEPASS_APP}' named 'gatepass'. Send an interactive authorization request for this user and resource.`, {
        suberror: 'consent_required',
      }),
    );
    const token = await callerToken();
    const result = await gateway.call('orders-read', token);
    expect(result).toMatchObject({ status: 403, code: 'exchange_denied' });
    expect(result.decision).toMatchObject({
      providerError: 'invalid_grant',
      providerSuberror: 'consent_required',
      providerErrorCode: 'AADSTS65001',
      providerTraceId: TRACE_ID,
      providerCorrelationId: CORRELATION_ID,
    });
    expect(JSON.stringify(result.lines)).not.toContain(token);
  });
});
