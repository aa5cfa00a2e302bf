import { describe, expect, it } from 'vitest';
import { failureAnswer, fillTemplate, GatewayFailure, httpApiProxyAnswer, restProxyAnswer, type HttpAnswer } from '../../../../scripts/local/gateway-answers.js';

const json = (answer: HttpAnswer | undefined) => JSON.parse(answer!.body.toString('utf8')) as Record<string, unknown>;
const header = (answer: HttpAnswer | undefined, name: string) => answer!.headers.filter(([n]) => n === name).map(([, v]) => v);

describe('HTTP API refusals', () => {
  it.each([
    [GatewayFailure.NoRoute, 404, 'Not Found'],
    [GatewayFailure.IdentityMissing, 401, 'Unauthorized'],
    [GatewayFailure.AccessDenied, 403, 'Forbidden'],
    [GatewayFailure.AuthorizerFailure, 500, 'Internal Server Error'],
    [GatewayFailure.IntegrationFailure, 500, 'Internal Server Error'],
    [GatewayFailure.PayloadTooLarge, 413, 'Request Entity Too Large'],
  ])('answer %s with %i {"message": "%s"}', (failure, status, message) => {
    const answer = failureAnswer('http', failure);
    expect(answer.status).toBe(status);
    expect(json(answer)).toEqual({ message });
    expect(header(answer, 'content-type')).toEqual(['application/json']);
  });
});

describe('REST API gateway responses (the stack configures them)', () => {
  it('answer a thrown Unauthorized and a missing identity with the 401 problem', () => {
    for (const failure of [GatewayFailure.Unauthorized, GatewayFailure.IdentityMissing]) {
      const answer = failureAnswer('rest', failure);
      expect(answer.status).toBe(401);
      expect(json(answer)).toEqual({ type: 'https://gatepass.dev/errors/token_invalid', title: 'The bearer token is not valid', status: 401, code: 'token_invalid' });
      expect(header(answer, 'content-type')).toEqual(['application/problem+json']);
      expect(header(answer, 'www-authenticate')).toEqual(['Bearer']);
    }
  });

  it("answer a Deny with the 403 problem naming the Deny's code", () => {
    const answer = failureAnswer('rest', GatewayFailure.AccessDenied, { code: 'insufficient_scope' });
    expect(answer.status).toBe(403);
    expect(json(answer)).toMatchObject({ type: 'https://gatepass.dev/errors/insufficient_scope', status: 403, code: 'insufficient_scope' });
  });

  it('answer an unknown route with 404, an authorizer failure with 500 and a failed integration with 502', () => {
    expect(failureAnswer('rest', GatewayFailure.NoRoute)).toMatchObject({ status: 404 });
    expect(json(failureAnswer('rest', GatewayFailure.NoRoute))).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
    expect(json(failureAnswer('rest', GatewayFailure.AuthorizerFailure))).toMatchObject({ code: 'gateway_misconfigured', status: 500 });
    const integration = failureAnswer('rest', GatewayFailure.IntegrationFailure);
    expect(integration.status).toBe(502);
    expect(json(integration)).toEqual({ type: 'about:blank', title: 'Internal server error' });
  });

  it('fill templates by plain substitution', () => {
    expect(fillTemplate('{"t":$context.error.messageString,"m":"$context.error.message","c":"$context.authorizer.code","x":"$context.requestId"}', { message: 'say "hi"', authorizer: { code: 'c1' } })).toBe(
      '{"t":"say \\"hi\\"","m":"say "hi"","c":"c1","x":"$context.requestId"}',
    );
  });
});

describe('HTTP API proxy results (payload 2.0)', () => {
  it('write status, headers, cookies and a base64 body', () => {
    const answer = httpApiProxyAnswer({ statusCode: 201, headers: { 'Content-Type': 'image/png', 'content-length': '999' }, cookies: ['a=1', 'b=2'], body: Buffer.from([1, 2, 255]).toString('base64'), isBase64Encoded: true });
    expect(answer?.status).toBe(201);
    expect(answer?.body).toEqual(Buffer.from([1, 2, 255]));
    expect(header(answer, 'content-type')).toEqual(['image/png']);
    expect(header(answer, 'set-cookie')).toEqual(['a=1', 'b=2']);
    expect(header(answer, 'content-length')).toEqual([]);
  });

  it('answer a result without statusCode as 200 application/json', () => {
    const answer = httpApiProxyAnswer({ hello: 'world' });
    expect(answer).toMatchObject({ status: 200 });
    expect(json(answer)).toEqual({ hello: 'world' });
  });

  it('refuse a malformed result', () => {
    expect(httpApiProxyAnswer({ statusCode: 'two hundred' })).toBeUndefined();
    expect(httpApiProxyAnswer({ statusCode: 200, body: 42 })).toBeUndefined();
    expect(httpApiProxyAnswer({ statusCode: 200, cookies: 'a=1' })).toBeUndefined();
  });
});

describe('REST proxy results (payload 1.0)', () => {
  it('merge headers and multiValueHeaders, the multi-value list winning for a name in both', () => {
    const answer = restProxyAnswer({ statusCode: 200, headers: { 'X-A': '1', 'X-B': 'single' }, multiValueHeaders: { 'X-B': ['m1', 'm2'] }, body: 'ok' }, '*/*', ['*/*']);
    expect(header(answer, 'x-a')).toEqual(['1']);
    expect(header(answer, 'x-b')).toEqual(['m1', 'm2']);
    expect(answer?.body.toString()).toBe('ok');
  });

  it('decode a base64 body only when Accept matches the binaryMediaTypes', () => {
    const result = { statusCode: 200, body: Buffer.from('bytes').toString('base64'), isBase64Encoded: true };
    expect(restProxyAnswer(result, 'application/octet-stream', ['*/*'])?.body.toString()).toBe('bytes');
    expect(restProxyAnswer(result, 'application/json', ['image/*'])?.body.toString()).toBe(Buffer.from('bytes').toString('base64'));
  });

  it('refuse a result without a valid statusCode or with non-scalar headers', () => {
    expect(restProxyAnswer({ body: 'x' }, undefined, [])).toBeUndefined();
    expect(restProxyAnswer({ statusCode: 200, headers: { a: { b: 1 } } }, undefined, [])).toBeUndefined();
    expect(restProxyAnswer({ statusCode: 200, multiValueHeaders: { a: 'not-a-list' } }, undefined, [])).toBeUndefined();
    expect(restProxyAnswer('hello', undefined, [])).toBeUndefined();
  });
});
