import type { APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  encodeBody,
  errorCodeOf,
  problemAnswer,
  problemResult,
  problemResultForError,
  proxyResult,
} from '../../../../functions/exchange/proxy/proxy-result.js';
import { ErrorCode, errorCatalog, GatepassError, type ErrorCode as Code } from '../../../../functions/shared/errors.js';

const answer = {
  status: 201,
  headers: new Map<string, string[]>([
    ['content-type', ['application/json']],
    ['set-cookie', ['a=1; Path=/; HttpOnly', 'b=2; Secure']],
    ['vary', ['accept', 'origin']],
    ['x-one', ['1']],
  ]),
  body: Buffer.from('{"ok":true}'),
};

describe('REST (payload 1.0) results', () => {
  it('put single values in headers and repeated ones, Set-Cookie included, in multiValueHeaders', () => {
    const result = proxyResult('v1', answer) as APIGatewayProxyResult;
    expect(result).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'x-one': '1' },
      multiValueHeaders: { 'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Secure'], vary: ['accept', 'origin'] },
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
  });
});

describe('HTTP API (payload 2.0) results', () => {
  it('move Set-Cookie to cookies and comma-join other repeated headers', () => {
    const result = proxyResult('v2', answer) as APIGatewayProxyStructuredResultV2;
    expect(result).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', vary: 'accept, origin', 'x-one': '1' },
      cookies: ['a=1; Path=/; HttpOnly', 'b=2; Secure'],
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
  });
});

describe('body encoding', () => {
  const typed = (type: string, extra: [string, string[]][] = []) => new Map<string, string[]>([['content-type', [type]], ...extra]);

  it('sends UTF-8 text of textual types as text', () => {
    for (const type of ['text/plain; charset=utf-8', 'application/json', 'application/problem+json', 'application/vnd.api+json', 'application/xml', 'image/svg+xml']) {
      expect(encodeBody(Buffer.from('héllo'), typed(type))).toEqual({ body: 'héllo', isBase64Encoded: false });
    }
  });

  it('sends binary types, compressed text and invalid UTF-8 as base64', () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f]);
    expect(encodeBody(bytes, typed('application/octet-stream'))).toEqual({ body: bytes.toString('base64'), isBase64Encoded: true });
    expect(encodeBody(Buffer.from('hello'), typed('text/plain', [['content-encoding', ['gzip']]])).isBase64Encoded).toBe(true);
    expect(encodeBody(bytes, typed('text/plain'))).toEqual({ body: bytes.toString('base64'), isBase64Encoded: true });
    expect(encodeBody(Buffer.from('abc'), new Map()).isBase64Encoded).toBe(true);
  });

  it('prefers base64 when the JSON-escaped text would be larger', () => {
    const controls = Buffer.from('\u0001'.repeat(300));
    expect(encodeBody(controls, typed('text/plain')).isBase64Encoded).toBe(true);
  });

  it('sends an empty body as empty text', () => {
    expect(encodeBody(Buffer.alloc(0), typed('application/octet-stream'))).toEqual({ body: '', isBase64Encoded: false });
  });
});

describe('problem answers (RFC 9457)', () => {
  it.each(Object.keys(errorCatalog) as Code[])('answer %s with its status, problem+json and no-store', (code) => {
    for (const version of ['v1', 'v2'] as const) {
      const result = problemResult(version, code) as APIGatewayProxyResult;
      expect(result.statusCode).toBe(errorCatalog[code].status);
      expect(result.headers?.['content-type']).toBe('application/problem+json');
      expect(result.headers?.['cache-control']).toBe('no-store');
      expect(result.isBase64Encoded).toBe(false);
      expect(JSON.parse(result.body)).toEqual({
        type: `https://gatepass.dev/errors/${code}`,
        title: errorCatalog[code].title,
        status: errorCatalog[code].status,
        code,
      });
    }
  });

  it('challenge a request without a token with a bare Bearer (RFC 6750 §3.1)', () => {
    expect(problemAnswer(ErrorCode.TokenMissing).headers.get('www-authenticate')).toEqual(['Bearer']);
  });

  it('challenge other 401s with invalid_token and 403s with insufficient_scope', () => {
    expect(problemAnswer(ErrorCode.TokenExpired).headers.get('www-authenticate')).toEqual([
      'Bearer error="invalid_token", error_description="The bearer token has expired"',
    ]);
    expect(problemAnswer(ErrorCode.InsufficientScope).headers.get('www-authenticate')?.[0]).toMatch(/^Bearer error="insufficient_scope"/);
    expect(problemAnswer(ErrorCode.ExchangeDenied).headers.get('www-authenticate')?.[0]).toMatch(/^Bearer error="insufficient_scope"/);
    expect(problemAnswer(ErrorCode.UpstreamTimeout).headers.has('www-authenticate')).toBe(false);
  });

  it('tell exchange_unavailable callers when to retry', () => {
    expect(problemAnswer(ErrorCode.ExchangeUnavailable).headers.get('retry-after')).toEqual(['5']);
    expect(problemAnswer(ErrorCode.ExchangeUnavailable, { retryAfterSeconds: 12.2 }).headers.get('retry-after')).toEqual(['13']);
    expect(problemAnswer(ErrorCode.UpstreamTimeout).headers.has('retry-after')).toBe(false);
  });

  it('take the code and Retry-After from an error, and treat unknown errors as 500', () => {
    const open = Object.assign(new GatepassError(ErrorCode.ExchangeUnavailable, 'circuit open'), { retryAfterSeconds: 7 });
    const result = problemResultForError('v2', open) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('7');
    expect(errorCodeOf(new TypeError('bug'))).toBe('gateway_misconfigured');
    expect((problemResultForError('v1', new TypeError('bug')) as APIGatewayProxyResult).statusCode).toBe(500);
  });
});
