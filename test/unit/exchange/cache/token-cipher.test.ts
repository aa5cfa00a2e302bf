import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenCipher, TokenCipherError, TokenCipherFailure } from '../../../../functions/exchange/cache/token-cipher.js';

const cipher = new TokenCipher(randomBytes(32));
const pk = 'v1#entry-one';
const data = Buffer.from('associated data');

function failureOf(open: () => unknown): string | undefined {
  try {
    open();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TokenCipherError);
    return (error as TokenCipherError).reason;
  }
}

describe('token cipher', () => {
  it('opens what it sealed, for any token text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (token) => {
        expect(cipher.open(cipher.seal(token, pk, data), pk, data)).toBe(token);
      }),
    );
  });

  it('writes a version byte, a 96-bit IV, the ciphertext and a 128-bit tag, with a fresh IV every time', () => {
    const first = Buffer.from(cipher.seal('issued-token', pk, data));
    const second = Buffer.from(cipher.seal('issued-token', pk, data));
    expect(first[0]).toBe(1);
    expect(first.byteLength).toBe(1 + 12 + 'issued-token'.length + 16);
    expect(first.subarray(1, 13).equals(second.subarray(1, 13))).toBe(false);
    expect(first.equals(second)).toBe(false);
  });

  it('refuses a sealed token with any single byte changed', () => {
    const sealed = Buffer.from(cipher.seal('issued-token', pk, data));
    for (let i = 1; i < sealed.byteLength; i += 1) {
      const tampered = Buffer.from(sealed);
      tampered[i]! ^= 0x01;
      expect(failureOf(() => cipher.open(tampered, pk, data))).toBe(TokenCipherFailure.AuthenticationFailed);
    }
  });

  it('refuses a sealed token opened under another pk, other associated data or another key', () => {
    const sealed = cipher.seal('issued-token', pk, data);
    expect(failureOf(() => cipher.open(sealed, 'v1#entry-two', data))).toBe(TokenCipherFailure.AuthenticationFailed);
    expect(failureOf(() => cipher.open(sealed, pk, Buffer.from('other data')))).toBe(TokenCipherFailure.AuthenticationFailed);
    expect(failureOf(() => new TokenCipher(randomBytes(32)).open(sealed, pk, data))).toBe(TokenCipherFailure.AuthenticationFailed);
  });

  it('refuses an unknown format version and a value too short to be sealed', () => {
    const sealed = Buffer.from(cipher.seal('issued-token', pk, data));
    sealed[0] = 2;
    expect(failureOf(() => cipher.open(sealed, pk, data))).toBe(TokenCipherFailure.UnsupportedVersion);
    expect(failureOf(() => cipher.open(Buffer.alloc(28, 1), pk, data))).toBe(TokenCipherFailure.Malformed);
    expect(failureOf(() => cipher.open(new Uint8Array(0), pk, data))).toBe(TokenCipherFailure.Malformed);
  });

  it('accepts only a 256-bit key', () => {
    expect(() => new TokenCipher(randomBytes(16))).toThrow(RangeError);
  });

  it('never carries the plaintext in its error', () => {
    const sealed = Buffer.from(cipher.seal('canary-issued-token', pk, data));
    sealed[20]! ^= 0xff;
    let caught: unknown;
    try {
      cipher.open(sealed, pk, data);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TokenCipherError);
    expect(String(caught)).not.toContain('canary');
    expect(JSON.stringify(caught)).not.toContain('canary');
  });
});
