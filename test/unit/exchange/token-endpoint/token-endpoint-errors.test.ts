import { describe, expect, it } from 'vitest';
import { SecretReadError, SecretReadFailure } from '../../../../functions/shared/secrets/secret-reader.js';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';
import {
  classifyAnswer,
  classifyTransportFailure,
  ExchangeDeniedError,
  ExchangeUnavailableError,
  oauthErrorOf,
  providerRefusalOf,
  retryAfterMsOf,
  secretsFailure,
} from '../../../../functions/exchange/token-endpoint/token-endpoint-errors.js';
import { HttpRequestError } from '../../../../functions/shared/http/bounded-http.js';

const json = { 'content-type': 'application/json' };
const body = (value: unknown) => Buffer.from(JSON.stringify(value));
const classify = (status: number, payload: unknown = {}, headers: Record<string, string> = json) =>
  classifyAnswer(status, headers, typeof payload === 'string' ? Buffer.from(payload) : body(payload), 'token endpoint of corp', 0);
const codeOf = (outcome: ReturnType<typeof classify>) => (outcome.kind === 'fail' ? outcome.error.code : outcome.kind);

describe('classifyAnswer', () => {
  it('passes 2xx on to validation', () => {
    expect(classify(200).kind).toBe('answer');
  });

  it.each([
    [400, 'invalid_grant', ErrorCode.ExchangeDenied],
    [400, 'invalid_target', ErrorCode.ExchangeDenied],
    [400, 'invalid_scope', ErrorCode.ExchangeDenied],
    [400, 'unauthorized_client', ErrorCode.ExchangeDenied],
    [400, 'invalid_request', ErrorCode.ExchangeDenied],
    [403, 'access_denied', ErrorCode.ExchangeDenied],
    [400, 'unsupported_grant_type', ErrorCode.GatewayMisconfigured],
    [400, 'invalid_client', 'invalid_client'],
    [401, 'invalid_client', 'invalid_client'],
    // Any 401 is a refusal of the gateway's credentials. Keycloak's wrong secret: 401 unauthorized_client
    // (https://github.com/keycloak/keycloak/blob/03f1a16370d3870d2b9b2a667af764f2134f2d8c/services/src/main/java/org/keycloak/authentication/authenticators/client/ClientIdAndSecretAuthenticator.java);
    // Auth0's: 401 access_denied "Unauthorized" (https://github.com/auth0-samples/auth0-angular-samples/issues/201).
    [401, 'unauthorized_client', 'invalid_client'],
    [401, 'access_denied', 'invalid_client'],
    [401, 'invalid_grant', 'invalid_client'],
    [403, 'invalid_client', 'invalid_client'],
    [400, 'temporarily_unavailable', 'retry'],
    [400, 'server_error', 'retry'],
    [503, 'invalid_grant', 'retry'],
  ])('maps %i %s to %s', (status, error, expected) => {
    expect(codeOf(classify(status, { error }))).toBe(expected);
  });

  it.each([
    [429, 'retry'],
    [500, 'retry'],
    [504, 'retry'],
    [401, 'invalid_client'],
    [302, ErrorCode.ExchangeBadResponse],
    [404, ErrorCode.ExchangeBadResponse],
    [400, ErrorCode.ExchangeBadResponse],
    [418, ErrorCode.ExchangeBadResponse],
  ])('maps a bare %i to %s', (status, expected) => {
    expect(codeOf(classify(status, 'not json', {}))).toBe(expected);
  });

  describe('without client authentication (clientAuth "none": no Authorization header, no client field sent)', () => {
    const unauthenticated = (status: number, payload: unknown, headers: Record<string, string> = json) =>
      classifyAnswer(status, headers, typeof payload === 'string' ? Buffer.from(payload) : body(payload), 'token endpoint of sts', 0, { clientAuthenticated: false });

    it.each([
      // RFC 6749 §5.2: invalid_client includes "no client authentication included": the server wants a client.
      [401, { error: 'invalid_client' }, 'invalid_client'],
      [400, { error: 'invalid_client' }, 'invalid_client'],
      // A 401 saying nothing in OAuth terms (a Google front end's google.rpc body) asks for authentication too.
      [401, { error: { code: 401, status: 'UNAUTHENTICATED' } }, 'invalid_client'],
      // No credentials of the gateway's were sent, so a 401 with another error refuses the exchange itself.
      [401, { error: 'invalid_grant' }, ErrorCode.ExchangeDenied],
      [401, { error: 'access_denied' }, ErrorCode.ExchangeDenied],
      [401, { error: 'unauthorized_client' }, ErrorCode.ExchangeDenied],
      // STS's documented refusals are 400s and read as before.
      [400, { error: 'invalid_grant' }, ErrorCode.ExchangeDenied],
      [400, { error: 'unauthorized_client' }, ErrorCode.ExchangeDenied],
      [503, { error: 'invalid_grant' }, 'retry'],
    ])('maps %i %j to %s', (status, payload, expected) => {
      expect(codeOf(unauthenticated(status, payload))).toBe(expected);
    });

    it('keeps the provider refusal of a 401 exchange refusal for the decision line', () => {
      const outcome = unauthenticated(401, { error: 'invalid_grant', error_description: 'subject token eyJ.leaked.x expired' });
      expect(outcome.kind === 'fail' && outcome.error).toBeInstanceOf(ExchangeDeniedError);
      expect(outcome.kind === 'fail' && (outcome.error as ExchangeDeniedError).refusal).toEqual({ error: 'invalid_grant' });
      expect(outcome.kind === 'fail' && outcome.error.message).not.toContain('leaked');
    });
  });

  it('never repeats error_description, which a server may fill with anything', () => {
    const outcome = classify(400, { error: 'invalid_grant', error_description: 'token eyJhbGciOi.leaked.value is bad' });
    expect(outcome.kind === 'fail' && outcome.error.message).not.toContain('leaked');
  });

  it('keeps what the 401 said, for the credentials log line', () => {
    expect(classify(401, { error: 'access_denied', error_description: 'Unauthorized' })).toEqual({ kind: 'invalid_client', status: 401, error: 'access_denied' });
    expect(classify(401, 'not json', {})).toEqual({ kind: 'invalid_client', status: 401 });
  });

  it("maps Entra's AADSTS refusals to exchange_denied with error, suberror, code and trace ids, never the description", () => {
    // AADSTS65001 body: https://github.com/MicrosoftDocs/azure-docs/issues/39189 ; fields: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow
    const outcome = classify(400, {
      error: 'invalid_grant',
      error_description:
        'AADSTS65001: The user or administrator has not consented to use the application with ID alice@contoso.example. Trace ID: 0b0f2a7c-3b4c-4d2e-9d7e-5b1c7a3f0100 Correlation ID: 5e1a3c9d-8f2b-4a6e-b1c3-7d9e0f2a4b60 Timestamp: 2024-01-01 00:00:00Z',
      error_codes: [65001],
      suberror: 'consent_required',
      timestamp: '2024-01-01 00:00:00Z',
      trace_id: '0b0f2a7c-3b4c-4d2e-9d7e-5b1c7a3f0100',
      correlation_id: '5e1a3c9d-8f2b-4a6e-b1c3-7d9e0f2a4b60',
      error_uri: 'https://login.microsoftonline.com/error?code=65001',
    });
    expect(codeOf(outcome)).toBe(ErrorCode.ExchangeDenied);
    const error = outcome.kind === 'fail' ? outcome.error : undefined;
    expect(error).toBeInstanceOf(ExchangeDeniedError);
    expect((error as ExchangeDeniedError).refusal).toEqual({
      error: 'invalid_grant',
      suberror: 'consent_required',
      providerCode: 'AADSTS65001',
      traceId: '0b0f2a7c-3b4c-4d2e-9d7e-5b1c7a3f0100',
      correlationId: '5e1a3c9d-8f2b-4a6e-b1c3-7d9e0f2a4b60',
    });
    expect(error?.message).toBe('token endpoint of corp refused the exchange: invalid_grant (consent_required, AADSTS65001)');
    expect(JSON.stringify((error as ExchangeDeniedError).refusal)).not.toContain('alice');
  });

  it('keeps only bounded refusal fields: a leading AADSTS code without error_codes, GUID trace ids, short suberrors', () => {
    const refusal = providerRefusalOf('interaction_required', body({ error_description: 'AADSTS50079: Due to a configuration change ...', suberror: 'x'.repeat(65), trace_id: 'alice@example.com' }));
    expect(refusal).toEqual({ error: 'interaction_required', providerCode: 'AADSTS50079' });
    expect(providerRefusalOf('invalid_grant', body({ error_description: 'user AADSTS50079: quoted' }))).toEqual({ error: 'invalid_grant' });
    expect(providerRefusalOf('invalid_grant', Buffer.from('not json'))).toEqual({ error: 'invalid_grant' });
  });

  it('carries Retry-After of a 429 as milliseconds', () => {
    expect(classify(429, '', { 'retry-after': '7' })).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
  });
});

describe('oauthErrorOf', () => {
  it('reads only a JSON object with a well-formed error string', () => {
    expect(oauthErrorOf(body({ error: 'invalid_grant' }), 'application/json;charset=UTF-8')).toBe('invalid_grant');
    expect(oauthErrorOf(body({ error: 'invalid_grant' }), 'text/plain')).toBeUndefined();
    expect(oauthErrorOf(body({ error: 42 }), 'application/json')).toBeUndefined();
    expect(oauthErrorOf(body({ error: 'bad"quote' }), 'application/json')).toBeUndefined();
    expect(oauthErrorOf(body(['invalid_grant']), 'application/json')).toBeUndefined();
    expect(oauthErrorOf(Buffer.from('{'), 'application/json')).toBeUndefined();
  });
});

describe('retryAfterMsOf', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMsOf('120', now)).toBe(120_000);
    expect(retryAfterMsOf(' 0 ', now)).toBe(0);
    expect(retryAfterMsOf('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMsOf('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('ignores anything else', () => {
    for (const value of [undefined, '', '-5', '1.5', 'soon', '12 h', ['1', '2']]) expect(retryAfterMsOf(value, now)).toBeUndefined();
  });
});

describe('classifyTransportFailure', () => {
  it('retries network failures, timeouts and cut-off answers but not an oversized answer', () => {
    expect(classifyTransportFailure(new HttpRequestError('network', 'reset')).kind).toBe('retry');
    expect(classifyTransportFailure(new HttpRequestError('timeout', 'slow')).kind).toBe('retry');
    expect(classifyTransportFailure(new HttpRequestError('connect_timeout', 'slow')).kind).toBe('retry');
    expect(classifyTransportFailure(new HttpRequestError('cut_off', 'short')).kind).toBe('retry');
    expect(codeOf(classifyTransportFailure(new HttpRequestError('too_large', 'big')))).toBe(ErrorCode.ExchangeBadResponse);
  });
});

describe('secretsFailure', () => {
  const failed = (failure: SecretReadFailure) => new SecretReadError(failure, 'gatepass/x', 'scripted');

  it('blames the deployment for missing, denied or binary secrets', () => {
    for (const failure of [SecretReadFailure.NotFound, SecretReadFailure.AccessDenied, SecretReadFailure.NotText]) {
      expect(secretsFailure(failed(failure), 'gatepass/x').code).toBe(ErrorCode.GatewayMisconfigured);
    }
  });

  it('treats timeouts, throttling, outages and unknown errors as temporary, retry in a second', () => {
    for (const error of [failed(SecretReadFailure.Timeout), failed(SecretReadFailure.Unavailable), new Error('socket hang up')]) {
      const mapped = secretsFailure(error, 'gatepass/x');
      expect(mapped.code).toBe(ErrorCode.ExchangeUnavailable);
      expect(mapped).toMatchObject({ retryAfterSeconds: 1 });
    }
  });
});

describe('ExchangeUnavailableError', () => {
  it('is a GatepassError with code exchange_unavailable and a whole number of seconds, at least 1', () => {
    const error = new ExchangeUnavailableError('down', 0.2);
    expect(error).toBeInstanceOf(GatepassError);
    expect(error).toMatchObject({ code: ErrorCode.ExchangeUnavailable, status: 503, retryAfterSeconds: 1, name: 'ExchangeUnavailableError' });
    expect(new ExchangeUnavailableError('down', 4.1).retryAfterSeconds).toBe(5);
    expect(new ExchangeUnavailableError('down', 999_999_999).retryAfterSeconds).toBe(600);
  });
});
