import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenType } from '../../../../functions/shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';
import { expiresInOf, validateTokenResponse, type ResponseExpectation } from '../../../../functions/exchange/token-endpoint/token-response-validator.js';

const json = { 'content-type': 'application/json' };
const exchange: ResponseExpectation = { grant: 'token-exchange', requestedTokenType: TokenType.AccessToken, requestedScope: ['read'], fallbackTtlSeconds: 300 };
const validate = (body: unknown, expectation = exchange) => validateTokenResponse(json, Buffer.from(JSON.stringify(body)), expectation, 'token endpoint of corp');
const good = { access_token: 'abc.def.ghi', issued_token_type: TokenType.AccessToken, token_type: 'Bearer', expires_in: 60 };

describe('validateTokenResponse', () => {
  it('returns the issued token with normalised fields', () => {
    expect(validate({ ...good, token_type: 'BEARER', scope: 'read' })).toEqual({
      accessToken: 'abc.def.ghi',
      issuedTokenType: TokenType.AccessToken,
      tokenType: 'Bearer',
      expiresIn: 60,
      scope: ['read'],
    });
  });

  it('accepts N_A (or Bearer) for issued types that are not access tokens', () => {
    const jwt = { ...exchange, requestedTokenType: TokenType.Jwt };
    expect(validate({ ...good, issued_token_type: TokenType.Jwt, token_type: 'N_A' }, jwt).tokenType).toBe('N_A');
    expect(validate({ ...good, issued_token_type: TokenType.Jwt, token_type: 'n_a' }, jwt).tokenType).toBe('N_A');
    expect(validate({ ...good, issued_token_type: TokenType.Jwt }, jwt).tokenType).toBe('Bearer');
    expect(() => validate({ ...good, issued_token_type: TokenType.Jwt, token_type: 'mac' }, jwt)).toThrow(GatepassError);
  });

  it('reads a jwt-bearer answer without issued_token_type as an access token, and refuses one naming another type', () => {
    // Entra's On-Behalf-Of answer has no issued_token_type: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow
    const obo: ResponseExpectation = { grant: 'jwt-bearer', requestedScope: ['api://orders/Orders.Read'], fallbackTtlSeconds: 300 };
    const answer = { token_type: 'Bearer', scope: 'api://orders/Orders.Read', expires_in: 3599, ext_expires_in: 3599, access_token: 'obo-token' };
    expect(validate(answer, obo)).toEqual({ accessToken: 'obo-token', issuedTokenType: TokenType.AccessToken, tokenType: 'Bearer', expiresIn: 3599, scope: ['api://orders/Orders.Read'] });
    expect(validate({ ...answer, issued_token_type: TokenType.AccessToken }, obo).issuedTokenType).toBe(TokenType.AccessToken);
    expect(() => validate({ ...answer, issued_token_type: 'urn:ietf:params:oauth:token-type:saml2' }, obo)).toThrow(GatepassError);
    expect(() => validate({ ...answer, token_type: 'N_A' }, obo)).toThrow(GatepassError);
    expect(() => validate({ ...answer, scope: ['api://orders/Orders.Read'] }, obo)).toThrow(GatepassError);
  });

  it('does not ask client_credentials answers for issued_token_type', () => {
    const credentials: ResponseExpectation = { grant: 'client_credentials', requestedScope: [], fallbackTtlSeconds: 300 };
    expect(validate({ access_token: 'gw-token', token_type: 'Bearer', expires_in: 3600 }, credentials)).toMatchObject({ issuedTokenType: TokenType.AccessToken, scope: [] });
    expect(() => validate({ access_token: 'gw-token', token_type: 'N_A', expires_in: 3600 }, credentials)).toThrow(GatepassError);
  });

  it('ignores extra fields such as refresh_token', () => {
    expect(validate({ ...good, refresh_token: 'r', extra: { nested: true } }).accessToken).toBe('abc.def.ghi');
  });

  it('refuses scope tokens with characters RFC 6749 forbids', () => {
    expect(() => validate({ ...good, scope: 'read "write"' })).toThrow(GatepassError);
  });

  it('refuses any JSON value other than an object, always with exchange_bad_response', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.jsonValue()), fc.string(), fc.double(), fc.boolean(), fc.constant(null)), (value) => {
        try {
          validate(value);
        } catch (error) {
          return error instanceof GatepassError && error.code === ErrorCode.ExchangeBadResponse;
        }
        return false;
      }),
    );
  });

  it('never quotes the body in its refusal', () => {
    const body = Buffer.from('{"access_token":"leaked-token-value","issued_token_type":');
    expect(() => validateTokenResponse(json, body, exchange, 'x')).toThrow(/not a JSON object/);
    try {
      validateTokenResponse(json, body, exchange, 'x');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('leaked');
      expect((error as Error).cause).toBeUndefined();
    }
  });
});

describe('expiresInOf', () => {
  it('takes positive finite numbers and strings of digits, and the fallback when absent', () => {
    expect(expiresInOf(3600, 300)).toBe(3600);
    expect(expiresInOf(0.5, 300)).toBe(0.5);
    expect(expiresInOf('3600', 300)).toBe(3600);
    expect(expiresInOf(undefined, 300)).toBe(300);
  });

  it('refuses everything else', () => {
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '0', '-1', '1e3', ' ', 'soon', '0x10', true, null, {}, [60]]) {
      expect(expiresInOf(value, 300)).toBeUndefined();
    }
  });

  it('accepts exactly the positive numbers among arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const accepted = expiresInOf(value, 300) !== undefined;
        const positiveNumber = typeof value === 'number' && Number.isFinite(value) && value > 0;
        const digits = typeof value === 'string' && /^\d{1,12}(\.\d{1,6})?$/.test(value.trim()) && Number(value) > 0;
        return accepted === (positiveNumber || digits);
      }),
    );
  });
});
