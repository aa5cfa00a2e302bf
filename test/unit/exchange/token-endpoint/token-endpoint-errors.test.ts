import { describe, expect, it } from 'vitest';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';
import {
  classifyAnswer,
  classifyTransportFailure,
  ExchangeUnavailableError,
  oauthErrorOf,
  retryAfterMsOf,
  retryAfterSecondsOf,
  secretsFailure,
} from '../../../../functions/exchange/token-endpoint/token-endpoint-errors.js';
import { TransportFailure } from '../../../../functions/exchange/token-endpoint/token-endpoint-transport.js';

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

  it('never repeats error_description, which a server may fill with anything', () => {
    const outcome = classify(400, { error: 'invalid_grant', error_description: 'token eyJhbGciOi.leaked.value is bad' });
    expect(outcome.kind === 'fail' && outcome.error.message).not.toContain('leaked');
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
  it('retries network failures and timeouts but not an oversized answer', () => {
    expect(classifyTransportFailure(new TransportFailure('network', 'reset')).kind).toBe('retry');
    expect(classifyTransportFailure(new TransportFailure('timeout', 'slow')).kind).toBe('retry');
    expect(classifyTransportFailure(new TransportFailure('connect_timeout', 'slow')).kind).toBe('retry');
    expect(codeOf(classifyTransportFailure(new TransportFailure('too_large', 'big')))).toBe(ErrorCode.ExchangeBadResponse);
  });
});

describe('secretsFailure', () => {
  const wrapped = (name: string) => {
    const cause = new Error('sdk');
    cause.name = name;
    return new Error('powertools', { cause });
  };

  it('blames the deployment for missing, denied or undecryptable secrets', () => {
    for (const name of ['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure']) {
      expect(secretsFailure(wrapped(name), 'gatepass/x').code).toBe(ErrorCode.GatewayMisconfigured);
    }
  });

  it('treats throttling and outages as temporary', () => {
    const error = secretsFailure(wrapped('ThrottlingException'), 'gatepass/x');
    expect(error.code).toBe(ErrorCode.ExchangeUnavailable);
    expect(retryAfterSecondsOf(error)).toBe(1);
  });
});

describe('ExchangeUnavailableError', () => {
  it('is a GatepassError with code exchange_unavailable and a whole number of seconds, at least 1', () => {
    const error = new ExchangeUnavailableError('down', 0.2);
    expect(error).toBeInstanceOf(GatepassError);
    expect(error).toMatchObject({ code: ErrorCode.ExchangeUnavailable, status: 503, retryAfterSeconds: 1, name: 'ExchangeUnavailableError' });
    expect(new ExchangeUnavailableError('down', 4.1).retryAfterSeconds).toBe(5);
    expect(new ExchangeUnavailableError('down', 999_999_999).retryAfterSeconds).toBe(600);
    expect(retryAfterSecondsOf(new GatepassError(ErrorCode.ExchangeDenied))).toBeUndefined();
  });
});
