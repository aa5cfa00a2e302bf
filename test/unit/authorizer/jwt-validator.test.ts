import { generateKeyPairSync, createVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { translateJwtError } from '../../../functions/authorizer/jwt-validator.js';
import { ErrorCode, GatepassError } from '../../../functions/shared/errors.js';

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
  });

  it('still rethrows errors that are not the caller’s doing', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(() => translateJwtError(bug)).toThrow(bug);
  });
});
