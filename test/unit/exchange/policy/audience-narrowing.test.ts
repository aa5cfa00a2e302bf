import { describe, expect, it } from 'vitest';
import { verifyIssuedAudience } from '../../../../functions/exchange/policy/audience-narrowing.js';
import { TokenType } from '../../../../functions/shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';

const jwt = (claims: Record<string, unknown>) =>
  `${Buffer.from('{"alg":"RS256","typ":"at+jwt"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

const check = (issuedToken: string, overrides: Partial<Parameters<typeof verifyIssuedAudience>[0]> = {}) => () =>
  verifyIssuedAudience({ audience: ['orders'], resource: ['https://orders.example'], issuedToken, issuedTokenType: TokenType.AccessToken, ...overrides }, 'token endpoint of corp');

const codeOf = (run: () => void): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof GatepassError ? error.code : 'not a GatepassError';
  }
};

describe('verified audience of the issued token', () => {
  it('accepts an aud that is one of the requested audiences or resources', () => {
    expect(codeOf(check(jwt({ aud: 'orders' })))).toBeUndefined();
    expect(codeOf(check(jwt({ aud: ['orders', 'https://orders.example'] })))).toBeUndefined();
  });

  it('refuses an aud naming another service, alone or next to the requested one', () => {
    expect(codeOf(check(jwt({ aud: 'billing' })))).toBe(ErrorCode.ExchangeNotNarrower);
    expect(codeOf(check(jwt({ aud: ['orders', 'billing'] })))).toBe(ErrorCode.ExchangeNotNarrower);
  });

  it('refuses a readable token without aud, an empty aud list, and an aud that is not a string', () => {
    expect(codeOf(check(jwt({ sub: 'alice' })))).toBe(ErrorCode.ExchangeNotNarrower);
    expect(codeOf(check(jwt({ aud: [] })))).toBe(ErrorCode.ExchangeNotNarrower);
    expect(codeOf(check(jwt({ aud: ['orders', 7] })))).toBe(ErrorCode.ExchangeNotNarrower);
  });

  it('leaves alone what it cannot or must not judge: no requested audience, opaque tokens, id tokens', () => {
    expect(codeOf(check(jwt({ aud: 'anything' }), { audience: [], resource: [] }))).toBeUndefined();
    expect(codeOf(check('opaque-issued-token-0123456789'))).toBeUndefined();
    expect(codeOf(check(jwt({ aud: 'gatepass-client' }), { issuedTokenType: TokenType.IdToken }))).toBeUndefined();
  });

  it('checks the jwt token type like an access token', () => {
    expect(codeOf(check(jwt({ aud: 'billing' }), { issuedTokenType: TokenType.Jwt }))).toBe(ErrorCode.ExchangeNotNarrower);
  });

  it('never quotes the token or its audiences in the message', () => {
    const token = jwt({ aud: 'secret-audience-name' });
    let message = '';
    try {
      check(token)();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/1 audience\(s\) the route did not ask for/);
    expect(message).not.toContain('secret-audience-name');
    expect(message).not.toContain(token);
  });
});
