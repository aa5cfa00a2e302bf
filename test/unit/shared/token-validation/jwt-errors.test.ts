import { generateKeyPairSync, createVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JwtInvalidSignatureAlgorithmError, JwtInvalidSignatureError, NotSupportedError, WaitPeriodNotYetEndedJwkError } from 'aws-jwt-verify/error';
import { translateJwtError } from '../../../../functions/shared/token-validation/jwt-errors.js';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';

/** What node:crypto throws for an ECDSA signature of the wrong length (e.g. DER instead of R||S). */
function malformedEcdsaFailure(): unknown {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  try {
    createVerify('sha256').update('input').verify({ key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from('3006020100020100', 'hex'));
  } catch (error) {
    return error;
  }
  throw new Error('node:crypto accepted a DER signature where R||S was expected');
}

describe('translateJwtError', () => {
  it('turns the crypto failure of a wrong-length ECDSA signature into token_invalid, not an internal error', () => {
    const translated = translateJwtError(malformedEcdsaFailure());
    expect(translated).toBeInstanceOf(GatepassError);
    expect(translated.code).toBe(ErrorCode.TokenInvalid);
    expect(translated.status).toBe(401);
    expect(translated.message).toBe('malformed signature');
  });

  it('keeps the library error as cause and names the refusal with a phrase, never the library message', () => {
    const cause = new JwtInvalidSignatureError('Invalid signature');
    const translated = translateJwtError(cause);
    expect(translated).toMatchObject({ name: 'GatepassError', code: 'token_invalid', message: 'bad signature' });
    expect(translated.cause).toBe(cause);
  });

  it('reads the penalty box refusal as an unknown kid when keys were cached, and as an unreachable JWKS when none were', () => {
    const held = new WaitPeriodNotYetEndedJwkError('Not allowed to fetch JWKS yet');
    expect(translateJwtError(held, { cached: true }).message).toBe('unknown kid');
    expect(translateJwtError(held, { cached: false }).message).toBe('JWKS unreachable');
  });

  it('tells an alg outside the supported list from an alg that does not fit the key', () => {
    expect(translateJwtError(new JwtInvalidSignatureAlgorithmError('alg', 'HS256', ['RS256', 'ES256'])).message).toBe('alg not accepted');
    expect(translateJwtError(new JwtInvalidSignatureAlgorithmError('alg', 'RS256', 'ES256')).message).toBe('alg does not fit the key');
  });

  it('gives any other aws-jwt-verify refusal a phrase of its own, still token_invalid', () => {
    expect(translateJwtError(new NotSupportedError('x'))).toMatchObject({ code: 'token_invalid', message: 'refused by aws-jwt-verify' });
  });

  it('still rethrows errors that are not the caller’s doing', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(() => translateJwtError(bug)).toThrow(bug);
  });
});
