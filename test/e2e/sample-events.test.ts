import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshEventTokens } from '../../scripts/local/event-tokens.js';
import type { InvokeOutcome } from '../../scripts/local/lambda-function.js';
import { startTestStack, type TestStack } from '../support/local-stack-harness.js';

/**
 * Every sample in events/ runs against the local stack, as `npm run invoke` runs it (fresh
 * tokens, the function in its container), with the outcome events/README.md documents.
 */

const dir = new URL('../../events/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

type Expectation = (outcome: InvokeOutcome) => void;
const result = (outcome: InvokeOutcome) => {
  if (!outcome.ok) throw new Error(`the function failed: ${outcome.error.errorMessage}`);
  return outcome.result as Record<string, unknown>;
};
const allowsHttp = (action: string): Expectation => (o) => expect(result(o)).toMatchObject({ isAuthorized: true, context: { action } });
const refusesHttp: Expectation = (o) => expect(result(o)).toEqual({ isAuthorized: false });
const allowsRest: Expectation = (o) => expect(result(o)).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow' }] }, context: { action: 'exchange' } });
const deniesRest = (code: string): Expectation => (o) => expect(result(o)).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Deny' }] }, context: { code } });
const throwsUnauthorized: Expectation = (o) => expect(o).toEqual({ ok: false, error: { errorType: 'Error', errorMessage: 'Unauthorized' } });
const answers = (status: number): Expectation => (o) => expect(result(o)['statusCode']).toBe(status);

/** The documented outcome of each sample (events/README.md). */
const OUTCOMES: Readonly<Record<string, Expectation>> = {
  'authorizer.http-api-v2.json': allowsHttp('exchange'),
  'authorizer.http-api-v2-downscoping.json': allowsHttp('exchange'),
  'authorizer.http-api-v2-passthrough.json': allowsHttp('passthrough'),
  'authorizer.http-api-v2-opaque-token.json': allowsHttp('passthrough'),
  'authorizer.http-api-v2-insufficient-scope.json': refusesHttp,
  'authorizer.http-api-v2-expired.json': refusesHttp,
  'authorizer.http-api-v2-missing-token.json': refusesHttp,
  'authorizer.rest-request.json': allowsRest,
  'authorizer.rest-token.json': allowsRest,
  'authorizer.rest-request-insufficient-scope.json': deniesRest('insufficient_scope'),
  'authorizer.rest-request-expired.json': throwsUnauthorized,
  'authorizer.rest-request-query-token.json': throwsUnauthorized,
  'exchange.http-api-v2.json': answers(200),
  'exchange.http-api-v2-cross-issuer.json': answers(200),
  'exchange.http-api-v2-downscoping.json': answers(200),
  'exchange.http-api-v2-passthrough.json': answers(200),
  'exchange.http-api-v2-delegation.json': answers(200),
  'exchange.http-api-v2-token-mismatch.json': answers(401),
  'exchange.rest-api-v1.json': answers(200),
  'exchange.rest-api-v1-no-authorizer.json': answers(500),
};

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('sample events', () => {
  it('each have a documented outcome', () => {
    expect(files).toEqual(Object.keys(OUTCOMES).sort());
  });

  it.each(files)('%s runs against the local stack with its documented outcome', async (file) => {
    const fn = file.startsWith('authorizer.') ? stack.functions.authorizer : stack.functions.exchange;
    const { event } = await refreshEventTokens(JSON.parse(readFileSync(new URL(file, dir), 'utf8')), (request) => stack.tokens.issue(request));
    expect(JSON.stringify(event)).not.toContain('{{');
    OUTCOMES[file]!(await fn.invoke(event));
  });
});
