import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decomposeJwt, isCanonicalBase64Url } from '../../../../functions/shared/token-validation/jwt-structure.js';
import { refusalCodeOf } from '../../../support/failures.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The definition the check stands for: the text decodes and encodes back to itself, in the base64url alphabet only. */
const roundTrips = (text: string) => /^[A-Za-z0-9_-]+$/.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const header = b64({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' });
const payload = b64({ iss: 'https://idp.example', sub: 'alice', exp: 2_000_000_000 });

describe('isCanonicalBase64Url', () => {
  it('agrees with decoding and re-encoding for any string over the alphabet and beyond', () => {
    const base64urlText = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 64 });
    const anyText = fc.string({ unit: fc.constantFrom(...ALPHABET, '+', '/', '=', '.', ' ', 'é', '\u0000'), maxLength: 64 });
    fc.assert(fc.property(fc.oneof(base64urlText, anyText), (text) => isCanonicalBase64Url(text) === roundTrips(text)), { numRuns: 5000 });
  });

  it('accepts the encoding of any bytes and refuses every other spelling of their last character', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64url');
        expect(isCanonicalBase64Url(text)).toBe(true);
        const lastValue = ALPHABET.indexOf(text.at(-1)!);
        for (let value = 0; value < 64; value += 1) {
          if (value === lastValue) continue;
          const other = `${text.slice(0, -1)}${ALPHABET[value]}`;
          // No second spelling of the same bytes is ever canonical.
          if (Buffer.from(other, 'base64url').equals(Buffer.from(bytes))) expect(isCanonicalBase64Url(other)).toBe(false);
          else expect(isCanonicalBase64Url(other)).toBe(roundTrips(other));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses the empty string, padding and lengths of 1 mod 4', () => {
    expect(isCanonicalBase64Url('')).toBe(false);
    expect(isCanonicalBase64Url('QQ==')).toBe(false);
    expect(isCanonicalBase64Url('QUJDR')).toBe(false);
    expect(isCanonicalBase64Url('QQ')).toBe(true);
    expect(isCanonicalBase64Url('QR')).toBe(false);
  });
});

describe('decomposeJwt', () => {
  it('decodes header and payload and leaves the signature encoded for the verifier', () => {
    const jwt = decomposeJwt(`${header}.${payload}.c2lnbmF0dXJl`);
    expect(jwt.header).toEqual({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' });
    expect(jwt.payload).toMatchObject({ sub: 'alice' });
    expect(jwt.signatureB64).toBe('c2lnbmF0dXJl');
  });

  it('refuses anything but three non-empty dot-separated parts', () => {
    for (const token of [`${header}.${payload}`, `${header}..c2lnbg`, `.${payload}.c2lnbg`, `${header}.${payload}.`, `${header}.${payload}.c2lnbg.x`, 'abc', '..']) {
      expect(refusalCodeOf(() => decomposeJwt(token))).toBe('token_malformed');
    }
  });

  it('refuses a signature in a non-canonical spelling, though it decodes to the same bytes', () => {
    // "c2lnbg" is "sign": its last character carries 4 spare bits; "c2lnbh" sets one of them.
    expect(Buffer.from('c2lnbh', 'base64url').equals(Buffer.from('c2lnbg', 'base64url'))).toBe(true);
    expect(refusalCodeOf(() => decomposeJwt(`${header}.${payload}.c2lnbg`))).toBeUndefined();
    expect(refusalCodeOf(() => decomposeJwt(`${header}.${payload}.c2lnbh`))).toBe('token_malformed');
  });

  it('refuses a signature with characters outside base64url, padding, or an impossible length', () => {
    for (const signature of ['c2ln+g', 'c2lnbg==', 'c2lnb', 'c2l/bg']) {
      expect(refusalCodeOf(() => decomposeJwt(`${header}.${payload}.${signature}`))).toBe('token_malformed');
    }
  });

  it('refuses a header or payload in a non-canonical spelling', () => {
    // A payload whose encoding ends in a partial group, so its last character has spare bits to set.
    const partialPayload = b64({ iss: 'https://idp.example', sub: 'alice' });
    expect(partialPayload.length % 4).not.toBe(0);
    const sloppyPayload = `${partialPayload.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(partialPayload.at(-1)!) ^ 1]}`;
    expect(Buffer.from(sloppyPayload, 'base64url').equals(Buffer.from(partialPayload, 'base64url'))).toBe(true);
    expect(refusalCodeOf(() => decomposeJwt(`${header}.${partialPayload}.c2lnbg`))).toBeUndefined();
    expect(refusalCodeOf(() => decomposeJwt(`${header}.${sloppyPayload}.c2lnbg`))).toBe('token_malformed');
    expect(refusalCodeOf(() => decomposeJwt(`${header}=.${payload}.c2lnbg`))).toBe('token_malformed');
  });

  it('takes scope and aud as a string or a list of strings, and refuses any other shape as token_invalid', () => {
    const withClaims = (claims: Record<string, unknown>) => `${header}.${b64({ iss: 'https://idp.example', exp: 2_000_000_000, ...claims })}.c2lnbg`;
    for (const name of ['scope', 'aud']) {
      for (const good of ['a b', ['a', 'b'], []]) expect(refusalCodeOf(() => decomposeJwt(withClaims({ [name]: good })))).toBeUndefined();
      for (const bad of [42, ['a', 42], { a: 'b' }, null, true]) {
        expect(refusalCodeOf(() => decomposeJwt(withClaims({ [name]: bad })))).toBe('token_invalid');
        expect(() => decomposeJwt(withClaims({ [name]: bad }))).toThrow(`JWT ${name} is not a string or a list of strings`);
      }
    }
  });
});
