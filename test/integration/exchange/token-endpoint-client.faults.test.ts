import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenType } from '../../../functions/shared/config/config-schema.js';
import { ErrorCode } from '../../../functions/shared/errors.js';
import type { ExchangeRequest } from '../../../functions/exchange/exchange-model.js';
import { MetricName } from '../../../functions/shared/contracts/metric-names.js';
import { TokenExchangeClient } from '../../../functions/exchange/token-endpoint/token-endpoint-client.js';
import { ExchangeUnavailableError } from '../../../functions/exchange/token-endpoint/token-endpoint-errors.js';
import { answers, startFaultServer, validTokenAnswer, type FaultAnswer, type FaultServer } from '../../support/token-endpoint-fault-server.js';
import { MemoryClientSecrets, ShiftableClock, tokenClientConfig } from '../../support/token-client-fixtures.js';
import { RecordingSinks } from '../../support/recording-sinks.js';
import { gatepassFailure } from '../../support/failures.js';

const SECRET_ID = 'gatepass/corp';
let fault: FaultServer;
let elsewhere: FaultServer;

beforeAll(async () => {
  fault = await startFaultServer();
  elsewhere = await startFaultServer();
});
afterAll(async () => {
  await fault.stop();
  await elsewhere.stop();
});
beforeEach(() => {
  fault.reset();
  elsewhere.reset();
});

interface Setup {
  readonly client: TokenExchangeClient;
  readonly clock: ShiftableClock;
  readonly secrets: MemoryClientSecrets;
  readonly telemetry: RecordingSinks;
}

function setup(exchange: Parameters<typeof tokenClientConfig>[1] = {}, options: { virtualSleeps?: boolean; random?: () => number } = {}): Setup {
  const config = tokenClientConfig(
    { corp: { issuer: fault.origin, tokenEndpoint: fault.tokenEndpoint, clientAuth: 'client_secret_basic', clientSecretId: SECRET_ID } },
    { connectTimeoutMs: 200, requestTimeoutMs: 300, deadlineMs: 2000, maxAttempts: 3, circuitBreaker: { failureThreshold: 100, openSeconds: 5 }, ...exchange },
  );
  const clock = new ShiftableClock(options.virtualSleeps ?? true);
  const secrets = new MemoryClientSecrets({ [SECRET_ID]: { client_id: 'gw', client_secret: 'first-secret' } });
  const telemetry = new RecordingSinks();
  const client = new TokenExchangeClient({ config, secrets, clock, random: options.random ?? (() => 0), log: telemetry.log, metrics: telemetry.metrics });
  return { client, clock, secrets, telemetry };
}

const request = (overrides: Partial<ExchangeRequest> = {}): ExchangeRequest => ({
  authorizationServer: 'corp',
  subjectToken: 'subject.token.value',
  subjectTokenType: TokenType.AccessToken,
  audience: ['orders-service'],
  resource: ['https://orders.internal.example'],
  scope: ['orders:read'],
  requestedTokenType: TokenType.AccessToken,
  ...overrides,
});

describe('the token exchange request', () => {
  it('posts every RFC 8693 field, repeating audience and resource and joining scope with spaces', async () => {
    const { client } = setup();
    fault.queue(answers.json(validTokenAnswer({ scope: 'a b' })));
    await client.exchange(
      request({
        audience: ['orders-service', 'billing'],
        resource: ['https://orders.internal.example', 'https://billing.internal.example'],
        scope: ['a', 'b'],
        actor: { token: 'actor.token.value', tokenType: TokenType.AccessToken },
      }),
    );
    const [sent] = fault.requests;
    expect(sent!.method).toBe('POST');
    expect(sent!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent!.headers['accept']).toBe('application/json');
    expect(Object.fromEntries(sent!.form)).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'subject.token.value',
      subject_token_type: TokenType.AccessToken,
      requested_token_type: TokenType.AccessToken,
      scope: 'a b',
      actor_token: 'actor.token.value',
      actor_token_type: TokenType.AccessToken,
    });
    expect(sent!.form.getAll('audience')).toEqual(['orders-service', 'billing']);
    expect(sent!.form.getAll('resource')).toEqual(['https://orders.internal.example', 'https://billing.internal.example']);
  });

  it('leaves scope, audience, resource and the actor out when there are none', async () => {
    const { client } = setup();
    await client.exchange(request({ audience: [], resource: [], scope: [] }));
    expect([...fault.requests[0]!.form.keys()].sort()).toEqual(['grant_type', 'requested_token_type', 'subject_token', 'subject_token_type']);
  });

  it('form-urlencodes client id and secret before base64 in client_secret_basic', async () => {
    const { client, secrets } = setup();
    secrets.store(SECRET_ID, { client_id: 'gw id:1', client_secret: 'p@ss w:rd+%' });
    await client.exchange(request());
    const header = fault.requests[0]!.headers['authorization']!;
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice(6), 'base64').toString('utf8')).toBe('gw+id%3A1:p%40ss+w%3Ard%2B%25');
  });

  it('reuses one keep-alive connection for consecutive exchanges', async () => {
    const { client } = setup();
    for (let i = 0; i < 5; i += 1) await client.exchange(request());
    expect(fault.requests).toHaveLength(5);
    expect(fault.connections).toBeLessThanOrEqual(1);
  });

  it('never calls a URL that is not the configured token endpoint', async () => {
    const { client } = setup();
    await expect(client.exchange(request({ authorizationServer: 'elsewhere' }))).rejects.toMatchObject({ code: ErrorCode.GatewayMisconfigured });
    expect(fault.requests).toHaveLength(0);
  });
});

describe('strict validation of the token endpoint answer', () => {
  const malformed: [string, FaultAnswer][] = [
    ['a body that is not JSON', answers.raw('{"access_token": "abc', 200, { 'content-type': 'application/json' })],
    ['a JSON array', answers.json([validTokenAnswer()])],
    ['a JSON string', answers.json('token')],
    ['valid JSON sent as text/html', answers.raw(JSON.stringify(validTokenAnswer()), 200, { 'content-type': 'text/html' })],
    ['valid JSON without a content type', answers.raw(JSON.stringify(validTokenAnswer()))],
    ['no access_token', answers.json(validTokenAnswer({ access_token: undefined }))],
    ['an empty access_token', answers.json(validTokenAnswer({ access_token: '' }))],
    ['a numeric access_token', answers.json(validTokenAnswer({ access_token: 42 }))],
    ['an access_token with a line break', answers.json(validTokenAnswer({ access_token: 'abc\r\nX-Injected: 1' }))],
    ['no issued_token_type', answers.json(validTokenAnswer({ issued_token_type: undefined }))],
    ['another issued_token_type than requested', answers.json(validTokenAnswer({ issued_token_type: TokenType.Jwt }))],
    ['no token_type', answers.json(validTokenAnswer({ token_type: undefined }))],
    ['a DPoP token_type', answers.json(validTokenAnswer({ token_type: 'DPoP' }))],
    ['N_A as token_type of an access token', answers.json(validTokenAnswer({ token_type: 'N_A' }))],
    ['a negative expires_in', answers.json(validTokenAnswer({ expires_in: -5 }))],
    ['a zero expires_in', answers.json(validTokenAnswer({ expires_in: 0 }))],
    ['expires_in "soon"', answers.json(validTokenAnswer({ expires_in: 'soon' }))],
    ['expires_in "-60"', answers.json(validTokenAnswer({ expires_in: '-60' }))],
    ['expires_in true', answers.json(validTokenAnswer({ expires_in: true }))],
    ['expires_in null', answers.json(validTokenAnswer({ expires_in: null }))],
    ['a scope that is not a string', answers.json(validTokenAnswer({ scope: ['orders:read'] }))],
    ['a 200 with an empty body', answers.raw('', 200, { 'content-type': 'application/json' })],
    ['a 404', answers.raw('not here', 404)],
    ['a 400 without an OAuth error', answers.raw('<html>bad</html>', 400, { 'content-type': 'text/html' })],
  ];

  it.each(malformed)('refuses %s with exchange_bad_response after one request', async (_name, answer) => {
    const { client } = setup();
    fault.queue(answer);
    const error = await gatepassFailure(client.exchange(request()));
    expect(error.code).toBe(ErrorCode.ExchangeBadResponse);
    expect(error.status).toBe(502);
    expect(fault.requests).toHaveLength(1);
  });

  it('accepts expires_in as a string of digits, bearer in any case and a charset parameter', async () => {
    const { client } = setup();
    fault.queue(answers.raw(JSON.stringify(validTokenAnswer({ expires_in: '3600', token_type: 'bearer' })), 200, { 'content-type': 'application/json; charset=utf-8' }));
    expect(await client.exchange(request())).toMatchObject({ expiresIn: 3600, tokenType: 'Bearer' });
  });

  it('uses the fallback TTL when expires_in is missing, and the requested scope when scope is', async () => {
    const { client } = setup({ fallbackTtlSeconds: 120 });
    fault.queue(answers.json(validTokenAnswer({ expires_in: undefined })));
    expect(await client.exchange(request())).toMatchObject({ expiresIn: 120, scope: ['orders:read'] });
  });

  it('refuses a granted scope broader than the requested one with exchange_not_narrower', async () => {
    const { client } = setup();
    fault.queue(answers.json(validTokenAnswer({ scope: 'orders:read orders:admin' })));
    const error = await gatepassFailure(client.exchange(request()));
    expect(error.code).toBe(ErrorCode.ExchangeNotNarrower);
    expect(error.message).toContain('orders:admin');
  });

  it('refuses, for downscoping, a grant beyond the subject token’s scopes even when nothing was requested', async () => {
    const { client } = setup();
    fault.queue(answers.json(validTokenAnswer({ scope: 'orders:read orders:write' })));
    const error = await gatepassFailure(client.exchange(request({ scope: [], subjectScopes: ['orders:read'] })));
    expect(error.code).toBe(ErrorCode.ExchangeNotNarrower);
  });

  it('accepts whatever a cross-issuer exchange grants when no scope was requested', async () => {
    const { client } = setup();
    fault.queue(answers.json(validTokenAnswer({ scope: 'anything at-all' })));
    expect((await client.exchange(request({ scope: [] }))).scope).toEqual(['anything', 'at-all']);
  });
});

describe('OAuth error answers', () => {
  it.each(['invalid_grant', 'invalid_target', 'invalid_scope', 'unauthorized_client', 'invalid_request', 'a_vendor_extension'])(
    'maps %s to exchange_denied without retrying',
    async (oauthError) => {
      const { client } = setup();
      fault.queue(answers.oauthError(oauthError));
      const error = await gatepassFailure(client.exchange(request()));
      expect(error.code).toBe(ErrorCode.ExchangeDenied);
      expect(error.status).toBe(403);
      expect(fault.requests).toHaveLength(1);
    },
  );

  it('maps unsupported_grant_type to gateway_misconfigured', async () => {
    const { client } = setup();
    fault.queue(answers.oauthError('unsupported_grant_type'));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.GatewayMisconfigured);
  });

  it('retries temporarily_unavailable like a 503', async () => {
    const { client } = setup();
    fault.queue(answers.oauthError('temporarily_unavailable'), answers.json(validTokenAnswer()));
    await client.exchange(request());
    expect(fault.requests).toHaveLength(2);
  });
});

describe('client secret rotation on invalid_client', () => {
  it('re-reads the secret and retries once with the new one', async () => {
    const { client, secrets, telemetry } = setup();
    await client.exchange(request());
    secrets.store(SECRET_ID, { client_id: 'gw', client_secret: 'rotated-secret' });
    fault.queue(answers.oauthError('invalid_client', 401));
    await client.exchange(request());
    const decoded = fault.requests.map((r) => Buffer.from(r.headers['authorization']!.slice(6), 'base64').toString());
    expect(decoded).toEqual(['gw:first-secret', 'gw:first-secret', 'gw:rotated-secret']);
    expect(telemetry.lines.filter((l) => l.level === 'warn').map((l) => l.fields['event'])).toEqual(['exchange.client_secret_refresh']);
    expect(telemetry.count(MetricName.ClientCredentialsRejected)).toBe(0);
  });

  it('answers gateway_misconfigured, logs an error and counts it when the new secret is refused too', async () => {
    const { client, secrets, telemetry } = setup();
    secrets.store(SECRET_ID, { client_id: 'gw', client_secret: 'first-secret' });
    await client.exchange(request());
    secrets.store(SECRET_ID, { client_id: 'gw', client_secret: 'also-wrong' });
    fault.fallback = answers.oauthError('invalid_client', 401);
    const error = await gatepassFailure(client.exchange(request()));
    expect(error.code).toBe(ErrorCode.GatewayMisconfigured);
    expect(error.status).toBe(500);
    expect(fault.requests).toHaveLength(3);
    const errors = telemetry.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fields).toMatchObject({ event: 'exchange.client_rejected', authorizationServer: 'corp', secretId: SECRET_ID, clientId: 'gw' });
    expect(telemetry.count(MetricName.ClientCredentialsRejected)).toBe(1);
  });

  it('does not try the same secret twice when the refresh brings nothing new', async () => {
    const { client, secrets } = setup();
    fault.queue(answers.raw('', 401, { 'www-authenticate': 'Basic realm="corp"' }));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.GatewayMisconfigured);
    expect(fault.requests).toHaveLength(1);
    expect(secrets.reads).toBe(2);
  });
});

describe('retries, timeouts and the deadline', () => {
  it('retries 5xx answers and succeeds on the third attempt', async () => {
    const { client, telemetry } = setup();
    fault.queue(answers.status(503), answers.status(502), answers.json(validTokenAnswer()));
    await client.exchange(request());
    expect(fault.requests).toHaveLength(3);
    expect(telemetry.count(MetricName.TokenEndpointRetry)).toBe(2);
    expect(telemetry.metricsWritten.filter((m) => m.name === 'TokenEndpointLatency')).toHaveLength(3);
  });

  it('gives up after maxAttempts with exchange_unavailable', async () => {
    const { client } = setup({ maxAttempts: 2 });
    fault.fallback = answers.status(500);
    const error = await gatepassFailure(client.exchange(request()));
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect(error.status).toBe(503);
    expect((error as ExchangeUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(fault.requests).toHaveLength(2);
  });

  it('waits with full-jitter backoff between attempts', async () => {
    const { client, clock } = setup({}, { random: () => 0.5 });
    fault.queue(answers.status(500), answers.status(500), answers.json(validTokenAnswer()));
    await client.exchange(request());
    expect(clock.sleeps).toEqual([50, 100]);
  });

  it('honours a Retry-After of a 429 that fits the deadline', async () => {
    const { client, clock } = setup();
    fault.queue(answers.status(429, { 'retry-after': '1' }), answers.json(validTokenAnswer()));
    await client.exchange(request());
    expect(clock.sleeps).toEqual([1000]);
    expect(fault.requests).toHaveLength(2);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const { client, clock } = setup({ deadlineMs: 5000 });
    const inOneSecond = new Date(Math.ceil((Date.now() + 1000) / 1000) * 1000).toUTCString();
    fault.queue(answers.status(503, { 'retry-after': inOneSecond }), answers.json(validTokenAnswer()));
    await client.exchange(request());
    expect(clock.sleeps[0]).toBeGreaterThan(400);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(2500);
  });

  it('stops at once when Retry-After is beyond the deadline and passes it on', async () => {
    const { client, clock } = setup();
    fault.queue(answers.status(429, { 'retry-after': '30' }));
    const error = await gatepassFailure(client.exchange(request()));
    expect(error.code).toBe(ErrorCode.ExchangeUnavailable);
    expect(error).toMatchObject({ retryAfterSeconds: 30 });
    expect(fault.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries a reset connection', async () => {
    const { client } = setup();
    fault.queue(answers.reset(), answers.json(validTokenAnswer()));
    await client.exchange(request());
    expect(fault.requests).toHaveLength(2);
  });

  it('answers exchange_unavailable when nothing listens on the endpoint', async () => {
    const closed = await startFaultServer();
    const endpoint = closed.tokenEndpoint;
    await closed.stop();
    const config = tokenClientConfig({ corp: { issuer: closed.origin, tokenEndpoint: endpoint, clientSecretId: SECRET_ID } }, { maxAttempts: 2 });
    const client = new TokenExchangeClient({ config, secrets: new MemoryClientSecrets({ [SECRET_ID]: { client_id: 'gw', client_secret: 's' } }), random: () => 0 });
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeUnavailable);
  });

  it('times out slow headers per attempt and retries', async () => {
    const { client } = setup({}, { virtualSleeps: false });
    fault.queue(answers.slowHeaders(1000, answers.json(validTokenAnswer())), answers.json(validTokenAnswer()));
    const started = Date.now();
    await client.exchange(request());
    expect(Date.now() - started).toBeLessThan(900);
    expect(fault.requests).toHaveLength(2);
  });

  it('times out a body that trickles in slower than the attempt timeout', async () => {
    const { client } = setup({ maxAttempts: 1 }, { virtualSleeps: false });
    fault.queue(answers.slowBody(JSON.stringify(validTokenAnswer()), 5, 150));
    const error = await gatepassFailure(client.exchange(request()));
    expect(error.code).toBe(ErrorCode.ExchangeUnavailable);
    expect(error.message).toContain('within 300 ms');
  });

  it('keeps every attempt inside the deadline', async () => {
    const { client } = setup({ requestTimeoutMs: 300, deadlineMs: 500, maxAttempts: 5 }, { virtualSleeps: false });
    fault.fallback = answers.hang();
    const started = Date.now();
    const error = await gatepassFailure(client.exchange(request()));
    const elapsed = Date.now() - started;
    expect(error.code).toBe(ErrorCode.ExchangeUnavailable);
    expect(elapsed).toBeGreaterThanOrEqual(480);
    expect(elapsed).toBeLessThan(750);
    expect(fault.requests).toHaveLength(2);
  });

  it('refuses a body over the size cap, declared or streamed, without retrying', async () => {
    const { client } = setup({ maxResponseBytes: 4096 });
    fault.queue(answers.oversized(70_000, true));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeBadResponse);
    fault.queue(answers.oversized(70_000, false));
    expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeBadResponse);
    expect(fault.requests).toHaveLength(2);
  });

  it.each([301, 302, 307, 308] as const)('never follows a %i redirect', async (status) => {
    const { client } = setup();
    fault.queue(answers.redirect(elsewhere.tokenEndpoint, status));
    const error = await gatepassFailure(client.exchange(request()));
    expect(error.code).toBe(ErrorCode.ExchangeBadResponse);
    expect(fault.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('the circuit breaker', () => {
  const breakerSettings = { maxAttempts: 1, circuitBreaker: { failureThreshold: 2, openSeconds: 5 } };

  it('opens after consecutive failures and then fails fast with Retry-After, without calling the server', async () => {
    const { client, telemetry } = setup(breakerSettings);
    fault.fallback = answers.status(503);
    await gatepassFailure(client.exchange(request()));
    const opening = await gatepassFailure(client.exchange(request()));
    expect(opening).toMatchObject({ retryAfterSeconds: 5 });
    expect(client.circuitState('corp')).toBe('open');
    expect(telemetry.count(MetricName.TokenEndpointCircuitOpened)).toBe(1);

    const started = Date.now();
    const fast = await gatepassFailure(client.exchange(request()));
    expect(Date.now() - started).toBeLessThan(50);
    expect(fast).toBeInstanceOf(ExchangeUnavailableError);
    expect(fast).toMatchObject({ retryAfterSeconds: 5 });
    expect(fault.requests).toHaveLength(2);
  });

  it('lets one probe through when half-open and closes on its success', async () => {
    const { client, clock } = setup(breakerSettings);
    fault.queue(answers.status(503), answers.status(503));
    await gatepassFailure(client.exchange(request()));
    await gatepassFailure(client.exchange(request()));
    clock.advance(3000);
    expect(await gatepassFailure(client.exchange(request()))).toMatchObject({ retryAfterSeconds: 2 });
    clock.advance(2000);

    fault.queue(answers.slowHeaders(100, answers.json(validTokenAnswer())));
    const probe = client.exchange(request());
    const refused = await gatepassFailure(client.exchange(request()));
    expect(refused).toMatchObject({ retryAfterSeconds: 1 });
    await probe;
    expect(client.circuitState('corp')).toBe('closed');
    await client.exchange(request());
    expect(fault.requests).toHaveLength(4);
  });

  it('opens again for another period when the probe fails', async () => {
    const { client, clock } = setup(breakerSettings);
    fault.fallback = answers.status(503);
    await gatepassFailure(client.exchange(request()));
    await gatepassFailure(client.exchange(request()));
    clock.advance(5000);
    const probe = await gatepassFailure(client.exchange(request()));
    expect(probe).toMatchObject({ retryAfterSeconds: 5 });
    expect(client.circuitState('corp')).toBe('open');
    expect(fault.requests).toHaveLength(3);
  });

  it('does not count OAuth refusals as failures', async () => {
    const { client } = setup(breakerSettings);
    fault.fallback = answers.oauthError('invalid_grant');
    for (let i = 0; i < 4; i += 1) expect((await gatepassFailure(client.exchange(request()))).code).toBe(ErrorCode.ExchangeDenied);
    expect(client.circuitState('corp')).toBe('closed');
  });
});
