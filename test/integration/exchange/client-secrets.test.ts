import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenType } from '../../../functions/shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../../functions/shared/errors.js';
import { ClientSecretsFromReader } from '../../../functions/exchange/token-endpoint/client-secrets.js';
import { ExchangeUnavailableError } from '../../../functions/exchange/token-endpoint/token-endpoint-errors.js';
import { secretsManagerReader } from '../../../functions/shared/secrets/secrets-manager-reader.js';
import { MetricName } from '../../../functions/shared/contracts/metric-names.js';
import { decisionLineTelemetry } from '../../../functions/shared/telemetry/decision-line.js';
import { TokenExchangeClient } from '../../../functions/exchange/token-endpoint/token-endpoint-client.js';
import { JwksServer } from '../../../fakes/jwks-server.js';
import { startOAuthServer, type OAuthServer } from '../../../fakes/oauth-server/oauth-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../../fakes/secrets-manager-server.js';
import { tokenClientConfig } from '../../support/token-client-fixtures.js';
import { RecordingSinks } from '../../support/recording-sinks.js';
import { generateTestKey, mintJwt, type TestKey } from '../../support/token-minter.js';

const SECRET_ID = 'gatepass/corp-exchange';
/** Characters the two former encoders wrote differently (! ' ( ) ~), a space and a colon in both parts. */
const AWKWARD = { client_id: 'gatepass awkward:1', client_secret: "s3cret! '()~ :*-._%+/=" };
let sm: SecretsManagerServer;
let restoreEnv: () => void;
let idp: JwksServer;
let partnerKey: TestKey;
let as: OAuthServer;

beforeAll(async () => {
  sm = await startSecretsManagerServer();
  restoreEnv = sm.applyEnv();
  idp = await new JwksServer().start();
  partnerKey = await generateTestKey('RS256');
  idp.behaviour.keys = [partnerKey.publicJwk];
  as = await startOAuthServer({
    trustedIssuers: [{ issuer: idp.origin, jwksUri: idp.jwksUri }],
    clients: [
      { clientId: 'gatepass', auth: 'client_secret_basic', clientSecret: 'current-secret' },
      { clientId: AWKWARD.client_id, auth: 'client_secret_basic', clientSecret: AWKWARD.client_secret },
    ],
  });
});

afterAll(async () => {
  restoreEnv();
  await sm.stop();
  await as.stop();
  await idp.stop();
});

beforeEach(() => {
  sm.put(SECRET_ID, { client_id: 'gatepass', client_secret: 'current-secret' });
  sm.resetCounters();
  sm.clearFaults();
  as.resetCounters();
});

/** Client secrets as the exchange Lambda reads them: the shared reader, a 300 s max age. */
const clientSecrets = () => new ClientSecretsFromReader(secretsManagerReader({ maxAgeSeconds: 300, connectTimeoutMs: 1_000, requestTimeoutMs: 3_000, deadlineMs: 4_000 }));

/** One exchange at the corporate AS for a fresh partner token. */
const exchange = async (client: TokenExchangeClient) =>
  client.exchange({
    authorizationServer: 'corp',
    subjectToken: await mintJwt(partnerKey, { iss: idp.origin, sub: 'alice', scope: 'read' }),
    subjectTokenType: TokenType.AccessToken,
    audience: ['api'],
    resource: [],
    scope: ['read'],
    requestedTokenType: TokenType.AccessToken,
  });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (error instanceof GatepassError) return error.code;
    throw error;
  }
}

describe('client secrets through the shared Secrets Manager reader (real SDK and Powertools Parameters)', () => {
  it('reads the secret through AWS_ENDPOINT_URL_SECRETS_MANAGER and reuses it within its max age', async () => {
    const secrets = clientSecrets();
    const first = await secrets.get(SECRET_ID);
    const second = await secrets.get(SECRET_ID);
    expect(first.clientId).toBe('gatepass');
    expect(first.clientSecret).toBe('current-secret');
    expect(second).toBe(first);
    expect(sm.requests.total).toBe(1);
  });

  it('shares one read between concurrent callers', async () => {
    const secrets = clientSecrets();
    await Promise.all(Array.from({ length: 20 }, () => secrets.get(SECRET_ID)));
    expect(sm.requests.total).toBe(1);
  });

  it('reads past the cache on refresh and sees a rotated secret', async () => {
    const secrets = clientSecrets();
    const before = await secrets.get(SECRET_ID);
    sm.rotate(SECRET_ID, { client_id: 'gatepass', client_secret: 'next-secret' });
    expect((await secrets.get(SECRET_ID)).fingerprint).toBe(before.fingerprint);
    const after = await secrets.refresh(SECRET_ID);
    expect(after.clientSecret).toBe('next-secret');
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(sm.requests.total).toBe(2);
  });

  it('answers gateway_misconfigured for a missing secret or a denied read', async () => {
    const secrets = clientSecrets();
    expect(await codeOf(secrets.get('gatepass/does-not-exist'))).toBe(ErrorCode.GatewayMisconfigured);
    sm.fail({ type: 'AccessDeniedException' });
    expect(await codeOf(secrets.refresh(SECRET_ID))).toBe(ErrorCode.GatewayMisconfigured);
  });

  it('answers exchange_unavailable when Secrets Manager fails for a while', async () => {
    const secrets = clientSecrets();
    sm.fail({ type: 'InternalServiceError', status: 500 }, 5);
    expect(await codeOf(secrets.get(SECRET_ID))).toBe(ErrorCode.ExchangeUnavailable);
  });

  it('answers exchange_unavailable (retry in 1 s) within its deadline when Secrets Manager accepts and never answers', async () => {
    const secrets = new ClientSecretsFromReader(secretsManagerReader({ maxAgeSeconds: 300, connectTimeoutMs: 200, requestTimeoutMs: 300, deadlineMs: 500 }));
    sm.stall(5, SECRET_ID);
    const started = Date.now();
    const error = await secrets.get(SECRET_ID).catch((e: unknown) => e as ExchangeUnavailableError);
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect(error).toMatchObject({ code: ErrorCode.ExchangeUnavailable, retryAfterSeconds: 1 });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it.each([
    ['not JSON', 'client_id=gatepass&client_secret=leaky-value'],
    ['a JSON array', '["leaky-value"]'],
    ['no client_id', '{"client_secret":"leaky-value"}'],
    ['an empty client_secret', '{"client_id":"gatepass","client_secret":""}'],
    ['a public key only', '{"client_id":"gatepass","private_key_jwk":{"kty":"EC","crv":"P-256","x":"leaky-value","y":"leaky-value"}}'],
    ['a symmetric key', '{"client_id":"gatepass","private_key_jwk":{"kty":"oct","k":"leaky-value"}}'],
    ['both a secret and a key', '{"client_id":"gatepass","client_secret":"leaky-value","private_key_jwk":{"kty":"EC","d":"x"}}'],
  ])('refuses a secret that is %s, naming the secret id and never its content', async (_name, text) => {
    sm.put('gatepass/bad', text);
    const secrets = clientSecrets();
    const error = await secrets.get('gatepass/bad').catch((e: unknown) => e as GatepassError);
    expect(error).toBeInstanceOf(GatepassError);
    expect((error as GatepassError).code).toBe(ErrorCode.GatewayMisconfigured);
    expect((error as GatepassError).message).toContain('gatepass/bad');
    expect((error as GatepassError).message).not.toContain('leaky-value');
  });
});

describe('secret rotation end to end (Secrets Manager, Powertools, oidc-provider)', () => {
  const setup = () => {
    const config = tokenClientConfig({ corp: { issuer: as.issuer, tokenEndpoint: as.tokenEndpoint, clientAuth: 'client_secret_basic', clientSecretId: SECRET_ID } });
    const telemetry = new RecordingSinks();
    const secrets = clientSecrets();
    const client = new TokenExchangeClient({ config, secrets, log: telemetry.log, metrics: telemetry.metrics });
    return { client, secrets, telemetry };
  };

  it('refetches a secret the server rejects as invalid_client and succeeds with the rotated one', async () => {
    sm.put(SECRET_ID, { client_id: 'gatepass', client_secret: 'previous-secret' });
    const { client, secrets, telemetry } = setup();
    await secrets.get(SECRET_ID);
    sm.rotate(SECRET_ID, { client_id: 'gatepass', client_secret: 'current-secret' });

    const issued = await exchange(client);
    expect((await as.verify(issued.accessToken))['client_id']).toBe('gatepass');
    expect(as.tokenRequests.map((r) => r.outcome)).toEqual(['invalid_client', 'success']);
    expect(sm.requests.total).toBe(2);
    expect(telemetry.count(MetricName.ClientCredentialsRejected)).toBe(0);

    await exchange(client);
    expect(sm.requests.total).toBe(2);
  });

  it('answers gateway_misconfigured, loudly, when the rotated secret is rejected too', async () => {
    sm.put(SECRET_ID, { client_id: 'gatepass', client_secret: 'previous-secret' });
    const { client, secrets, telemetry } = setup();
    await secrets.get(SECRET_ID);
    sm.rotate(SECRET_ID, { client_id: 'gatepass', client_secret: 'still-not-it' });

    expect(await codeOf(exchange(client))).toBe(ErrorCode.GatewayMisconfigured);
    expect(as.tokenRequests.map((r) => r.outcome)).toEqual(['invalid_client', 'invalid_client']);
    expect(telemetry.lines.filter((l) => l.level === 'error').map((l) => l.fields['event'])).toEqual(['exchange.client_rejected']);
    expect(telemetry.count(MetricName.ClientCredentialsRejected)).toBe(1);
    expect(telemetry.dump()).not.toContain('still-not-it');
    expect(telemetry.dump()).not.toContain('previous-secret');
  });

  it('writes through Powertools-backed sinks, and the error line names no secret', async () => {
    sm.put(SECRET_ID, { client_id: 'gatepass', client_secret: 'previous-secret' });
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      const config = tokenClientConfig({ corp: { issuer: as.issuer, tokenEndpoint: as.tokenEndpoint, clientSecretId: SECRET_ID } });
      const { log, metrics } = decisionLineTelemetry({ logger: new Logger({ serviceName: 'gatepass-exchange' }), namespace: 'gatepass', serviceName: 'gatepass-exchange' });
      const client = new TokenExchangeClient({ config, secrets: clientSecrets(), log, metrics });
      expect(await codeOf(exchange(client))).toBe(ErrorCode.GatewayMisconfigured);
      metrics.flush();
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const output = written.join('');
    expect(output).toContain('exchange.client_rejected');
    expect(output).toContain('ClientCredentialsRejected');
    expect(output).not.toContain('previous-secret');
  });
});

describe('client_secret_basic with the characters RFC 6749 Appendix B escapes', () => {
  it('is accepted by oidc-provider for an id and a secret holding ! \' ( ) ~, spaces and colons', async () => {
    sm.put('gatepass/awkward', AWKWARD);
    const config = tokenClientConfig({ corp: { issuer: as.issuer, tokenEndpoint: as.tokenEndpoint, clientAuth: 'client_secret_basic', clientSecretId: 'gatepass/awkward' } });
    const client = new TokenExchangeClient({ config, secrets: clientSecrets() });
    const issued = await exchange(client);
    expect((await as.verify(issued.accessToken))['client_id']).toBe(AWKWARD.client_id);
    expect(as.tokenRequests.map((r) => r.outcome)).toEqual(['success']);
  });
});
