import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_BEARER_GRANT_TYPE, startEntraServer, type EntraServer } from '../../../fakes/entra-server.js';

/**
 * The Entra ID stand-in the local stack's On-Behalf-Of demo uses, held to what Microsoft
 * documents for the v2.0 OBO request and its answers:
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-on-behalf-of-flow
 * (request parameters, success answer, AADSTS error body), and the v2.0 access token claims:
 * https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
 */

const MIDDLE_TIER = { clientId: '3c1b2a9e-5f4d-4e8a-b7c6-1d2e3f4a5b6c', clientSecret: 'middle-tier-secret', appIdUri: 'api://gatepass', displayName: 'gatepass' };
const ORDERS = { appIdUri: 'api://orders', clientId: '9d8c7b6a-1e2f-4a3b-8c4d-5e6f7a8b9c0d', scopes: ['Orders.Read', 'Orders.Write', 'Orders.Audit'] };
const SPA = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const USER = { oid: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9', name: 'Ada Lovelace', preferredUsername: 'ada@contoso.example' };

let entra: EntraServer;

beforeAll(async () => {
  entra = await startEntraServer({
    clients: [{ ...MIDDLE_TIER, consented: ['api://orders/Orders.Read', 'api://orders/Orders.Write'] }],
    apis: [ORDERS],
  });
});

afterAll(async () => {
  await entra?.stop();
});

const callerToken = (overrides: { audience?: string; expiresInSeconds?: number } = {}) =>
  entra.signIn({ user: USER, audience: overrides.audience ?? MIDDLE_TIER.clientId, scope: ['access_as_user'], clientApp: SPA, ...(overrides.expiresInSeconds !== undefined ? { expiresInSeconds: overrides.expiresInSeconds } : {}) });

async function obo(params: Record<string, string | undefined>, headers: Record<string, string> = {}) {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) form.set(name, value);
  const response = await fetch(entra.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const oboRequest = async (overrides: Record<string, string | undefined> = {}) => ({
  grant_type: JWT_BEARER_GRANT_TYPE,
  client_id: MIDDLE_TIER.clientId,
  client_secret: MIDDLE_TIER.clientSecret,
  assertion: await callerToken(),
  scope: 'api://orders/Orders.Read',
  requested_token_use: 'on_behalf_of',
  ...overrides,
});

describe('Entra ID stand-in: On-Behalf-Of', () => {
  it('serves the tenant paths of a v2.0 endpoint: issuer <origin>/<tenant>/v2.0, token and keys under the tenant', async () => {
    expect(entra.issuer).toBe(`${entra.origin}/${entra.tenantId}/v2.0`);
    expect(entra.tokenEndpoint).toBe(`${entra.origin}/${entra.tenantId}/oauth2/v2.0/token`);
    const discovery = (await (await fetch(`${entra.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: entra.issuer, token_endpoint: entra.tokenEndpoint, jwks_uri: entra.jwksUri });
    expect(entra.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('redeems a caller token for the downstream API: Bearer, prefixed scope, expires_in and ext_expires_in, no issued_token_type', async () => {
    const answer = await obo(await oboRequest());
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Object.keys(answer.body).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'scope', 'token_type']);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'api://orders/Orders.Read', expires_in: 3599, ext_expires_in: 3599 });
  });

  it("issues a v2.0 token signed by the tenant's JWKS: aud the API's client id, short scp, azp the middle tier, the user's oid, a per-app sub", async () => {
    const caller = await callerToken();
    const answer = await obo(await oboRequest({ assertion: caller }));
    const token = String(answer.body['access_token']);
    const keys = (await (await fetch(entra.jwksUri)).json()) as { keys: [] };
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys), { issuer: entra.issuer, audience: ORDERS.clientId });
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    expect(payload).toMatchObject({ scp: 'Orders.Read', azp: MIDDLE_TIER.clientId, oid: USER.oid, tid: entra.tenantId, ver: '2.0', name: USER.name });
    const callerClaims = await entra.verify(caller);
    expect(payload.sub).not.toBe(callerClaims.sub);
    expect(payload['scope']).toBeUndefined();
    expect(payload['act']).toBeUndefined();
  });

  it('answers a .default request with every consented permission, then <resource>/.default itself', async () => {
    const answer = await obo(await oboRequest({ scope: 'api://orders/.default' }));
    expect(answer.status).toBe(200);
    expect(answer.body['scope']).toBe('api://orders/Orders.Read api://orders/Orders.Write api://orders/.default');
    expect(await entra.verify(String(answer.body['access_token']))).toMatchObject({ scp: 'Orders.Read Orders.Write' });
  });

  it('refuses a permission nobody consented to with AADSTS65001 invalid_grant, suberror consent_required, trace and correlation ids', async () => {
    const correlation = '5e4f3a2b-1c0d-4e9f-8a7b-6c5d4e3f2a1b';
    const answer = await obo(await oboRequest({ scope: 'api://orders/Orders.Audit' }), { 'client-request-id': correlation });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_grant', suberror: 'consent_required', error_codes: [65001], correlation_id: correlation });
    expect(String(answer.body['error_description'])).toMatch(/^AADSTS65001: The user or administrator has not consented .*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: 5e4f3a2b/s);
    expect(answer.body['trace_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.body['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(answer.headers.get('x-ms-request-id')).toBe(answer.body['trace_id']);
  });

  it('refuses a wrong client secret with 401 invalid_client AADSTS7000215, and a secret sent only as HTTP Basic with 401 AADSTS7000218', async () => {
    const wrong = await obo(await oboRequest({ client_secret: 'not-the-secret' }));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(JSON.stringify(wrong.body)).not.toContain('not-the-secret');
    const basic = await obo(await oboRequest({ client_secret: undefined }), {
      authorization: `Basic ${Buffer.from(`${MIDDLE_TIER.clientId}:${MIDDLE_TIER.clientSecret}`).toString('base64')}`,
    });
    expect(basic.status).toBe(401);
    expect(basic.body).toMatchObject({ error: 'invalid_client', error_codes: [7000218] });
    expect(entra.tokenRequests.at(-1)).toMatchObject({ clientAuth: 'client_secret_basic', outcome: 'invalid_client' });
  });

  it('refuses the RFC 8693 grant with AADSTS70003 unsupported_grant_type, as Entra does', async () => {
    const answer = await obo({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', client_id: MIDDLE_TIER.clientId, client_secret: MIDDLE_TIER.clientSecret });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });
  });

  it('requires requested_token_use=on_behalf_of, assertion and scope (AADSTS900144 names the missing one)', async () => {
    for (const missing of ['requested_token_use', 'assertion', 'scope']) {
      const answer = await obo(await oboRequest({ [missing]: undefined }));
      expect(answer.status, missing).toBe(400);
      expect(answer.body, missing).toMatchObject({ error: 'invalid_request', error_codes: [900144] });
      expect(String(answer.body['error_description']), missing).toContain(`'${missing}'`);
    }
    expect((await obo(await oboRequest({ requested_token_use: 'something_else' }))).body).toMatchObject({ error: 'invalid_request' });
  });

  it("refuses an assertion for another app (aud), an expired one, and one this tenant did not sign", async () => {
    const otherApp = await obo(await oboRequest({ assertion: await callerToken({ audience: ORDERS.clientId }) }));
    expect(otherApp.body).toMatchObject({ error: 'invalid_grant', error_codes: [50013] });
    expect(String(otherApp.body['error_description'])).toContain('audience');
    const viaAppIdUri = await obo(await oboRequest({ assertion: await callerToken({ audience: MIDDLE_TIER.appIdUri }) }));
    expect(viaAppIdUri.status).toBe(200);
    const expired = await obo(await oboRequest({ assertion: await callerToken({ expiresInSeconds: -120 }) }));
    expect(expired.body).toMatchObject({ error: 'invalid_grant', error_codes: [500133] });
    const stranger = await startEntraServer({ clients: [], apis: [] });
    try {
      const foreign = await stranger.signIn({ user: USER, audience: MIDDLE_TIER.clientId, scope: ['access_as_user'], clientApp: SPA });
      expect((await obo(await oboRequest({ assertion: foreign }))).body).toMatchObject({ error: 'invalid_grant', error_codes: [50013] });
    } finally {
      await stranger.stop();
    }
  });

  it('refuses scopes of two resources (AADSTS28000), an unknown resource (AADSTS500011) and an unknown permission (AADSTS70011)', async () => {
    expect((await obo(await oboRequest({ scope: 'api://orders/Orders.Read api://billing/Bills.Read' }))).body).toMatchObject({ error: 'invalid_scope', error_codes: [28000] });
    expect((await obo(await oboRequest({ scope: 'api://billing/Bills.Read' }))).body).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
    expect((await obo(await oboRequest({ scope: 'api://orders/Orders.Delete' }))).body).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
  });

  it('records what each request carried, never its secret or assertion', async () => {
    const request = await oboRequest();
    await obo(request);
    const record = entra.tokenRequests.at(-1)!;
    expect(record).toMatchObject({ grantType: JWT_BEARER_GRANT_TYPE, clientId: MIDDLE_TIER.clientId, clientAuth: 'client_secret_post', requestedTokenUse: 'on_behalf_of', outcome: 'success' });
    expect(record.parameterNames).toEqual(['assertion', 'client_id', 'client_secret', 'grant_type', 'requested_token_use', 'scope']);
    expect(JSON.stringify(record)).not.toContain(MIDDLE_TIER.clientSecret);
    expect(JSON.stringify(record)).not.toContain(request.assertion);
  });
});
