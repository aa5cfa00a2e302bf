import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authenticatesWithBasic, basicCredentials, replayJson, type ReplayedRequest } from '../support/provider-replay-server.js';
import { forwardedToken, startRecipeGateway, type ProviderHost, type RecipeGateway } from '../support/recipe-gateway.js';

/**
 * PingFederate's token exchange grant, replayed from Ping's documentation, through the
 * configuration of docs/providers/pingfederate.md.
 *
 * Sources (read for this suite):
 * - https://docs.pingidentity.com/pingfederate/12.0/introduction_to_pingfederate/pf_token_exchange_grant.html
 *   (and https://docs.pingidentity.com/r/en-us/pingfederate-111/pf_token_exchange_grant):
 *   "The optional resource parameter identifies an Access Token Management (ATM) instance or token
 *   generator instance. The optional audience parameter identifies another client…"; the answer
 *   "contains the requested token… an issued token type parameter and a token type parameter";
 *   token types access_token, saml1, saml2, urn:params:oauth:token-type:jwt.
 * - https://docs.pingidentity.com/pingfederate/latest/administrators_reference_guide/pf_defining_token_exchange_processor_policies.html:
 *   processor policies map a token processor to each subject token type; Actor Token Required.
 * - `aud` from the ATM's configuration: https://docs.pingidentity.com/pingfederate/latest/administrators_reference_guide/pf_defining_access_token_attribute_contract.html (not re-read).
 * - Ping's SDK sends the target as `resource` by default:
 *   https://github.com/pingidentity/strands-pingfederate-token-exchange/blob/0892bb6a5ffaf6b06307f794045ee906e7b56233/docs/configuration.md (not re-read).
 * Not documented, so not replayed as PingFederate's own: `expires_in` and `scope` in the answer,
 * and the error bodies (the replay uses RFC 6749 §5.2 codes; the bad-credentials answer is
 * 401 invalid_client "Invalid client or client credentials", as seen from clients of
 * PingFederate-hosted `/as/token.oauth2` endpoints, not in Ping's documentation).
 */

const PARTNER = 'https://idp.partner.example';
const PF = 'https://pf.example.com';
const ORDERS = 'https://orders.example.com';
const CLIENT = { client_id: 'gatepass', client_secret: 'pf-secret-canary' };
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

let gateway: RecipeGateway;
let partner: ProviderHost;
let pingfederate: ProviderHost;

const partnerToken = () => partner.mint({ iss: gateway.local(PARTNER), sub: 'partner-user-7', aud: 'https://gateway.example.com', scope: 'orders' });

/** The orders ATM's token: `aud` is its Audience Claim Value; the answer has only the documented fields. */
async function pingSuccess(request: ReplayedRequest, audienceClaimValue: string = ORDERS) {
  const accessToken = await pingfederate.mint({ iss: gateway.local(PF), sub: 'partner-user-7', aud: audienceClaimValue, scope: request.form.get('scope'), client_id: CLIENT.client_id });
  return replayJson(200, { access_token: accessToken, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer' });
}

const authenticated = (request: ReplayedRequest) => authenticatesWithBasic(request, CLIENT);

beforeAll(async () => {
  gateway = await startRecipeGateway('pingfederate', { 'gatepass/pingfederate': CLIENT });
  partner = gateway.host(PARTNER);
  pingfederate = gateway.host(PF);
});

afterAll(() => gateway.stop());

beforeEach(() => {
  gateway.answerTokens('pingfederate', (request) =>
    authenticated(request) ? pingSuccess(request) : replayJson(401, { error: 'invalid_client', error_description: 'Invalid client or client credentials' }),
  );
});

describe('PingFederate recipe (docs/providers/pingfederate.md)', () => {
  it('sends resource (which selects the access token manager), no audience, the jwt subject type and Basic client authentication', async () => {
    const token = await partnerToken();
    const before = gateway.tokenRequests('pingfederate').length;
    await gateway.call('orders-read', token);
    const [sent] = gateway.tokenRequests('pingfederate').slice(before);
    expect(sent).toBeDefined();
    expect(sent!.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(sent!.form.getAll('resource')).toEqual([ORDERS]);
    expect(sent!.form.has('audience')).toBe(false);
    expect(sent!.form.get('subject_token')).toBe(token);
    expect(sent!.form.get('subject_token_type')).toBe('urn:ietf:params:oauth:token-type:jwt');
    expect(sent!.form.has('actor_token')).toBe(false);
    expect(sent!.form.get('scope')).toBe('orders:read');
    expect(basicCredentials(sent!)).toEqual({ clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret });
  });

  it('accepts an answer with only the documented fields (no expires_in, no scope) and forwards the ATM\'s token', async () => {
    const result = await gateway.call('orders-read', await partnerToken());
    expect(result.status).toBe(200);
    expect(decodeJwt(forwardedToken(result.forwarded)!)).toMatchObject({ aud: ORDERS, scope: 'orders:read' });
  });

  it("refuses a token whose aud is not the route's resource (an ATM without that Audience Claim Value): exchange_not_narrower", async () => {
    gateway.answerTokens('pingfederate', (request) => pingSuccess(request, 'https://default-atm.example.com'));
    const result = await gateway.call('orders-read', await partnerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_not_narrower' });
    expect(result.forwarded).toBeUndefined();
  });

  it('invalid_request, invalid_grant and invalid_scope are exchange_denied; 401 invalid_client is the gateway\'s misconfiguration', async () => {
    for (const error of ['invalid_request', 'invalid_grant', 'invalid_scope']) {
      gateway.answerTokens('pingfederate', () => replayJson(400, { error, error_description: `replayed ${error}` }));
      expect(await gateway.call('orders-read', await partnerToken()), error).toMatchObject({ status: 403, code: 'exchange_denied' });
    }
    gateway.answerTokens('pingfederate', () => replayJson(401, { error: 'invalid_client', error_description: 'Invalid client or client credentials' }));
    expect(await gateway.call('orders-read', await partnerToken())).toMatchObject({ status: 500, code: 'gateway_misconfigured' });
  });
});

describe('PingFederate recipe: issued tokens verified with the server jwksUri', () => {
  it('refuses a token the ATM keys did not sign', async () => {
    gateway.answerTokens('pingfederate', async (request) => {
      const answer = await pingSuccess(request);
      const body = answer.body as { access_token: string };
      const [header, payload] = body.access_token.split('.');
      return { ...answer, body: { ...body, access_token: `${header}.${payload}.${'A'.repeat(342)}` } };
    });
    const result = await gateway.call('orders-read', await partnerToken());
    expect(result).toMatchObject({ status: 502, code: 'exchange_bad_response' });
    expect(result.forwarded).toBeUndefined();
  });

  it("verifies the ATM's token with the server's jwksUri, and says so in the decision line", async () => {
    const result = await gateway.call('orders-read', await partnerToken());
    expect(result.status).toBe(200);
    expect(result.decision).toMatchObject({ issuedTokenVerified: 'signature', narrowingFlow: 'federation' });
  });
});
