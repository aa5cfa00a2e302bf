import { describe, expect, it } from 'vitest';
import { extractBearerToken, queryCarriesAccessToken } from '../../../functions/shared/bearer-token.js';
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

describe('queryCarriesAccessToken (RFC 6750 §2.3, refused by the authorizer and on MCP routes alike)', () => {
  it.each(['access_token=x', 'a=1&ACCESS_TOKEN=x', 'ACCESS%5Ftoken=x', 'access_token', 'a=1&access_token&b=2', 'access%5ftoken='])('finds %s', (query) => {
    expect(queryCarriesAccessToken(query)).toBe(true);
  });

  it.each(['', 'a=1', 'my_access_token=x', 'access_token_hint=x', 'x=access_token'])('does not find %s', (query) => {
    expect(queryCarriesAccessToken(query)).toBe(false);
  });
});
