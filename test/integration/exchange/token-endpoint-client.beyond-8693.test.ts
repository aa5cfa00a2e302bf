import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenType } from '../../../functions/shared/config/config-schema.js';
import { ErrorCode } from '../../../functions/shared/errors.js';
import type { ExchangeRequest } from '../../../functions/exchange/exchange-model.js';
import { TokenExchangeClient } from '../../../functions/exchange/token-endpoint/token-endpoint-client.js';
import { ExchangeDeniedError } from '../../../functions/exchange/token-endpoint/token-endpoint-errors.js';
import { JwksServer } from '../../../fakes/jwks-server.js';
import { answers, startFaultServer, validTokenAnswer, type FaultServer } from '../../support/token-endpoint-fault-server.js';
import { MemoryClientSecrets, ShiftableClock, tokenClientConfig, type TestAuthorizationServer } from '../../support/token-client-fixtures.js';
import { RecordingSinks } from '../../support/recording-sinks.js';
import { generateTestKey, mintJwt, type TestKey } from '../../support/token-minter.js';
import { gatepassFailure } from '../../support/failures.js';

/**
 * The token endpoint client at servers that are not RFC 8693 servers, or answer with their own
 * habits (docs/design.md "Authorization servers beyond RFC 8693"), over loopback: a scriptable
 * token endpoint and a JWKS server. Provider facts are cited where a test relies on them.
 */

const SECRET_ID = 'gatepass/entra-obo';
let fault: FaultServer;
let keys: JwksServer;
let serverKey: TestKey;
let strangerKey: TestKey;

beforeAll(async () => {
  fault = await startFaultServer();
  keys = await new JwksServer().start();
  serverKey = await generateTestKey('RS256', { kid: 'server-1' });
  // Same kid, another key: a forged signature under a kid the JWKS knows.
  strangerKey = await generateTestKey('RS256', { kid: 'server-1' });
  keys.behaviour.keys = [serverKey.publicJwk];
});
afterAll(async () => {
  await fault.stop();
  await keys.stop();
});
beforeEach(() => fault.reset());

function setup(server: Partial<TestAuthorizationServer> = {}) {
  const config = tokenClientConfig(
    { entra: { issuer: fault.origin, tokenEndpoint: fault.tokenEndpoint, clientAuth: 'client_secret_post', clientSecretId: SECRET_ID, ...server } },
    { connectTimeoutMs: 200, requestTimeoutMs: 500, deadlineMs: 2000, maxAttempts: 1 },
  );
  const secrets = new MemoryClientSecrets({ [SECRET_ID]: { client_id: 'gatepass-api', client_secret: 'first-secret' } });
  const telemetry = new RecordingSinks();
  const client = new TokenExchangeClient({ config, secrets, clock: new ShiftableClock(true), log: telemetry.log, metrics: telemetry.metrics });
  return { client, secrets, telemetry };
}

const oboServer: Partial<TestAuthorizationServer> = { grant: 'jwt-bearer', parameters: { requested_token_use: 'on_behalf_of' } };

const request = (overrides: Partial<ExchangeRequest> = {}): ExchangeRequest => ({
  authorizationServer: 'entra',
  subjectToken: 'caller.access.token',
  subjectTokenType: TokenType.AccessToken,
  audience: [],
  resource: [],
  scope: ['api://orders/Orders.Read'],
  requestedTokenType: TokenType.AccessToken,
  ...overrides,
});

/** Entra's On-Behalf-Of answer: no issued_token_type, the scope with its resource prefix (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow). */
const oboAnswer = (accessToken: string, overrides: Record<string, unknown> = {}) =>
  answers.json({ token_type: 'Bearer', scope: 'api://orders/Orders.Read', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken, ...overrides });

const serverToken = (claims: Record<string, unknown> = {}, key: TestKey = serverKey) =>
  mintJwt(key, { iss: fault.origin, sub: 'alice', aud: 'api://orders', scp: 'Orders.Read', ...claims }, { expiresIn: 600 });

describe('the jwt-bearer grant (RFC 7523 §2.1, Entra ID On-Behalf-Of)', () => {
  it('sends the subject token as assertion with scope and the static parameters, and nothing of RFC 8693', async () => {
    const { client } = setup(oboServer);
    fault.queue(oboAnswer(await serverToken()));
    // A route audience is not sent: it only bounds the issued token's aud.
    const issued = await client.exchange(request({ audience: ['api://orders'] }));

    expect(issued).toMatchObject({ issuedTokenType: TokenType.AccessToken, tokenType: 'Bearer', scope: ['api://orders/Orders.Read'], verification: 'keys-unknown' });
    const form = fault.requests[0]!.form;
    // Entra's required OBO fields (same page): grant_type, client_id, client_secret, assertion, scope, requested_token_use.
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: 'caller.access.token',
      scope: 'api://orders/Orders.Read',
      requested_token_use: 'on_behalf_of',
      client_id: 'gatepass-api',
      client_secret: 'first-secret',
    });
    expect(fault.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('accepts an answer without issued_token_type, refuses one that names another type, and stays strict otherwise', async () => {
    const { client } = setup(oboServer);
    fault.queue(oboAnswer(await serverToken(), { issued_token_type: TokenType.Jwt }));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeBadResponse);
    fault.queue(oboAnswer(await serverToken(), { token_type: 'PoP' }));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeBadResponse);
    fault.queue(oboAnswer(await serverToken(), { scope: ['api://orders/Orders.Read'] }));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeBadResponse);
  });

  it('compares the token short scp with the prefixed request, and refuses a token carrying more', async () => {
    const { client } = setup(oboServer);
    fault.queue(oboAnswer(await serverToken({ scp: 'Orders.Read Orders.Write' })));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeNotNarrower);
  });

  it('maps an AADSTS refusal to exchange_denied with error, suberror, code and trace id, never the description', async () => {
    // AADSTS65001 body shape: https://github.com/MicrosoftDocs/azure-docs/issues/39189
    const { client } = setup(oboServer);
    fault.queue(
      answers.json(
        {
          error: 'invalid_grant',
          error_description: 'AADSTS65001: The user or administrator has not consented to use the application with ID alice@contoso.example. Trace ID: 2f1c1b1e-0f1a-4c8e-9a43-3b4a5c6d7e80',
          error_codes: [65001],
          timestamp: '2024-05-01 10:00:00Z',
          trace_id: '2f1c1b1e-0f1a-4c8e-9a43-3b4a5c6d7e80',
          correlation_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
          suberror: 'consent_required',
        },
        400,
      ),
    );
    const error = await gatepassFailure(client.exchange(request()));
    expect(error).toBeInstanceOf(ExchangeDeniedError);
    expect(error.status).toBe(403);
    expect((error as ExchangeDeniedError).refusal).toMatchObject({ error: 'invalid_grant', suberror: 'consent_required', providerCode: 'AADSTS65001', traceId: '2f1c1b1e-0f1a-4c8e-9a43-3b4a5c6d7e80' });
    expect(error.message).not.toContain('alice');
  });
});

describe('static parameters', () => {
  it('go with the token exchange and the client_credentials grants too', async () => {
    const { client } = setup({ parameters: { tenant_hint: 'contoso' } });
    fault.queue(answers.json(validTokenAnswer()), answers.json(validTokenAnswer({ issued_token_type: undefined })));
    await client.exchange(request({ scope: [] }));
    await client.clientCredentialsToken('entra');
    expect(fault.requests.map((r) => [r.form.get('grant_type'), r.form.get('tenant_hint')])).toEqual([
      ['urn:ietf:params:oauth:grant-type:token-exchange', 'contoso'],
      ['client_credentials', 'contoso'],
    ]);
  });
});

describe('credential refusals: any 401, or invalid_client', () => {
  it.each([
    // Keycloak: https://github.com/keycloak/keycloak/blob/03f1a16370d3870d2b9b2a667af764f2134f2d8c/services/src/main/java/org/keycloak/authentication/authenticators/client/ClientIdAndSecretAuthenticator.java
    ['Keycloak', 'unauthorized_client'],
    // Auth0: https://github.com/auth0-samples/auth0-angular-samples/issues/201
    ['Auth0', 'access_denied'],
    // Entra AADSTS7000215: https://github.com/keycloak/keycloak/issues/31294
    ['Entra', 'invalid_client'],
  ])('%s 401 %s: re-reads the secret and tries once more with the rotated one', async (_provider, error) => {
    const { client, secrets, telemetry } = setup();
    await secrets.get(SECRET_ID);
    secrets.store(SECRET_ID, { client_id: 'gatepass-api', client_secret: 'rotated-secret' });
    fault.queue(answers.json({ error, error_description: 'Invalid client credentials' }, 401), answers.json(validTokenAnswer()));
    await client.exchange(request({ scope: [] }));
    expect(fault.requests.map((r) => r.form.get('client_secret'))).toEqual(['first-secret', 'rotated-secret']);
    expect(telemetry.fieldsOf('token endpoint refused the gateway client credentials; re-reading the client secret')).toEqual([
      expect.objectContaining({ event: 'exchange.client_secret_refresh', status: 401, error }),
    ]);
  });

  it('re-reads once and, with the same secret, answers gateway_misconfigured without a second try', async () => {
    const { client, telemetry } = setup();
    fault.queue(answers.json({ error: 'access_denied', error_description: 'Unauthorized' }, 401));
    const error = await gatepassFailure(client.exchange(request({ scope: [] })));
    expect(error.code).toBe(ErrorCode.GatewayMisconfigured);
    expect(error.message).toContain('(401 access_denied)');
    expect(fault.requests).toHaveLength(1);
    expect(telemetry.fieldsOf('token endpoint refused the gateway client credentials, also after a secret refresh')).toEqual([
      expect.objectContaining({ event: 'exchange.client_rejected', status: 401, error: 'access_denied' }),
    ]);
  });
});

describe('clientAuth "none" (Google STS: https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token)', () => {
  function unauthenticated() {
    const config = tokenClientConfig(
      { sts: { issuer: fault.origin, tokenEndpoint: fault.tokenEndpoint, clientAuth: 'none' } },
      { connectTimeoutMs: 200, requestTimeoutMs: 500, deadlineMs: 2000, maxAttempts: 1 },
    );
    // Holds no secret: a read would throw.
    const secrets = new MemoryClientSecrets();
    const telemetry = new RecordingSinks();
    const client = new TokenExchangeClient({ config, secrets, clock: new ShiftableClock(true), log: telemetry.log, metrics: telemetry.metrics });
    return { client, secrets, telemetry };
  }
  const stsRequest = () => request({ authorizationServer: 'sts', scope: [], audience: ['//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q'] });

  it('reads no secret and sends no Authorization header and no client field, the grant otherwise unchanged', async () => {
    const { client, secrets } = unauthenticated();
    fault.queue(answers.json(validTokenAnswer()));
    await client.exchange(stsRequest());
    const [sent] = fault.requests;
    expect(sent!.headers.authorization).toBeUndefined();
    expect([...sent!.form.keys()].sort()).toEqual(['audience', 'grant_type', 'requested_token_type', 'subject_token', 'subject_token_type']);
    expect(secrets.reads).toBe(0);
  });

  it.each([
    [401, { error: 'invalid_client' }],
    [400, { error: 'invalid_client' }],
    [401, 'Unauthorized'],
  ])('%i %j: gateway_misconfigured naming the fix, without a re-read or a second try', async (status, payload) => {
    const { client, secrets, telemetry } = unauthenticated();
    fault.queue(typeof payload === 'string' ? answers.raw(payload, status) : answers.json(payload, status));
    const error = await gatepassFailure(client.exchange(stsRequest()));
    expect(error.code).toBe(ErrorCode.GatewayMisconfigured);
    expect(error.message).toMatch(/asked for client authentication \(\d{3}( invalid_client)?\), but its clientAuth is "none": set the clientAuth and clientSecretId the server expects/);
    expect(fault.requests).toHaveLength(1);
    expect(secrets.reads).toBe(0);
    expect(telemetry.fieldsOf('token endpoint asked for client authentication, which clientAuth "none" does not send')).toEqual([
      expect.objectContaining({ event: 'exchange.client_authentication_required', authorizationServer: 'sts', status }),
    ]);
    expect(telemetry.fieldsOf('token endpoint refused the gateway client credentials; re-reading the client secret')).toEqual([]);
  });

  it('a 401 with another OAuth error refuses the exchange (exchange_denied), once, with no re-read', async () => {
    const { client, secrets } = unauthenticated();
    fault.queue(answers.json({ error: 'invalid_grant', error_description: 'The subject token has expired' }, 401));
    const error = await gatepassFailure(client.exchange(stsRequest()));
    expect(error).toBeInstanceOf(ExchangeDeniedError);
    expect(error.code).toBe(ErrorCode.ExchangeDenied);
    expect(fault.requests).toHaveLength(1);
    expect(secrets.reads).toBe(0);
  });

  it('has no token of its own there: clientCredentialsToken is gateway_misconfigured and sends nothing', async () => {
    const { client } = unauthenticated();
    const error = await gatepassFailure(client.clientCredentialsToken('sts'));
    expect(error.code).toBe(ErrorCode.GatewayMisconfigured);
    expect(error.message).toContain('has clientAuth "none": the gateway has no client identity there');
    expect(fault.requests).toHaveLength(0);
  });
});

describe('verified issued tokens', () => {
  it('verifies a JWT with the server jwksUri and keeps its own exp for the cache', async () => {
    const { client } = setup({ ...oboServer, jwksUri: keys.jwksUri });
    const token = await serverToken();
    fault.queue(oboAnswer(token));
    const issued = await client.exchange(request());
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    expect(issued).toMatchObject({ verification: 'signature', ownExpiresAt: exp.exp, expiresIn: 3599 });
  });

  it('refuses a bad signature, another iss, and an expired token with exchange_bad_response', async () => {
    const { client } = setup({ ...oboServer, jwksUri: keys.jwksUri });
    fault.queue(oboAnswer(await serverToken({}, strangerKey)));
    const forged = await gatepassFailure(client.exchange(request()));
    expect([forged.code, forged.message]).toEqual([ErrorCode.ExchangeBadResponse, expect.stringContaining('bad signature')]);
    fault.queue(oboAnswer(await serverToken({ iss: 'https://elsewhere.example' })));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeBadResponse);
    fault.queue(oboAnswer(await serverToken({ exp: Math.floor(Date.now() / 1000) - 3600 })));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeBadResponse);
  });

  it('takes the keys of the configured issuer whose issuer is the server issuer', async () => {
    const config = tokenClientConfig({ entra: { issuer: 'http://127.0.0.1:9/partner', tokenEndpoint: fault.tokenEndpoint, clientAuth: 'client_secret_post', clientSecretId: SECRET_ID, ...oboServer } });
    // tokenClientConfig's placeholder issuer has http://127.0.0.1:9/partner/jwks: nothing listens there.
    const secrets = new MemoryClientSecrets({ [SECRET_ID]: { client_id: 'gatepass-api', client_secret: 'first-secret' } });
    const client = new TokenExchangeClient({ config, secrets });
    fault.queue(oboAnswer(await mintJwt(serverKey, { iss: 'http://127.0.0.1:9/partner', aud: 'api://orders', scp: 'Orders.Read' })));
    // Keys known but not reachable: 503 (the keys must be fetched before the claims are trusted), never a 200.
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeUnavailable);
  });

  it('says opaque for a token that is no JWT', async () => {
    const { client } = setup({ ...oboServer, jwksUri: keys.jwksUri });
    fault.queue(oboAnswer('opaque-access-token-value'));
    expect((await client.exchange(request())).verification).toBe('opaque');
  });
});

describe('verified privacy (forbiddenClaims)', () => {
  it('refuses an issued JWT that carries a forbidden claim, and an opaque token that cannot be shown clean', async () => {
    const { client } = setup({ ...oboServer, jwksUri: keys.jwksUri });
    const forbiddenClaims = ['email', 'phone_number'];
    fault.queue(oboAnswer(await serverToken({ email: 'alice@example.com' })));
    const carried = await gatepassFailure(client.exchange(request({ forbiddenClaims })));
    expect([carried.code, carried.message]).toEqual([ErrorCode.ExchangeNotNarrower, expect.stringContaining('email')]);
    expect(carried.message).not.toContain('alice@example.com');

    fault.queue(oboAnswer('opaque-access-token-value'));
    expect((await gatepassFailure(client.exchange(request({ forbiddenClaims })))).code).toBe(ErrorCode.ExchangeNotNarrower);

    fault.queue(oboAnswer(await serverToken({ name: 'Alice' })));
    expect((await client.exchange(request({ forbiddenClaims }))).verification).toBe('signature');
  });
});
