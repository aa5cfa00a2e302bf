import { describe, expect, it } from 'vitest';
import { extractBearerToken } from '../../../functions/shared/bearer-token.js';
import { GatepassError } from '../../../functions/shared/errors.js';

function codeOf(values: string[], max = 100): string {
  try {
    extractBearerToken(values, max);
    return 'ok';
  } catch (error) {
    return (error as GatepassError).code;
  }
}

describe('bearer token extraction', () => {
  it('takes exactly one token after a case-insensitive Bearer scheme', () => {
    expect(extractBearerToken(['Bearer abc.def-ghi_~+/='], 100)).toBe('abc.def-ghi_~+/=');
    expect(extractBearerToken(['  bEaReR   abc  '], 100)).toBe('abc');
  });

  it.each([
    [[], 'token_missing'],
    [[''], 'token_missing'],
    [['Basic dXNlcjpwdw=='], 'token_missing'],
    [['Bearer'], 'token_malformed'],
    [['Bearer a', 'Bearer b'], 'token_malformed'],
    [['Bearer a, Bearer b'], 'token_malformed'],
    [['Bearer a b'], 'token_malformed'],
    [['Bearer a=b'], 'token_malformed'],
    [['Bearer ü'], 'token_malformed'],
    [[`Bearer ${'a'.repeat(101)}`], 'token_malformed'],
    [[`Bearer ${'a'.repeat(10_000)}`], 'token_malformed'],
  ])('refuses %j with %s', (values, code) => {
    expect(codeOf(values)).toBe(code);
  });
});
