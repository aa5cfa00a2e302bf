import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import { createJwksParser, usableSignatureKey } from '../../../../functions/shared/token-validation/jwks-source.js';

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;

describe('JWKS key filter', () => {
  it('keeps RSA 2048+ and known curves, drops weak, encryption and kid-less keys', async () => {
    const rsa2048 = { ...(await exportJWK(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)), kid: 'a' };
    const rsa1024 = { ...(await exportJWK(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)), kid: 'b' };
    const ec = { ...(await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)), kid: 'c' };
    const ed = { ...(await exportJWK(generateKeyPairSync('ed25519').publicKey)), kid: 'd' };
    expect(usableSignatureKey(rsa2048)).toBe(true);
    expect(usableSignatureKey(ec)).toBe(true);
    expect(usableSignatureKey(ed)).toBe(true);
    expect(usableSignatureKey(rsa1024)).toBe(false);
    expect(usableSignatureKey({ ...rsa2048, use: 'enc' })).toBe(false);
    expect(usableSignatureKey({ ...rsa2048, key_ops: ['encrypt'] })).toBe(false);
    expect(usableSignatureKey({ ...rsa2048, key_ops: ['verify'] })).toBe(true);
    expect(usableSignatureKey({ ...rsa2048, kid: undefined })).toBe(false);
    expect(usableSignatureKey({ ...ec, crv: 'secp256k1' })).toBe(false);
    expect(usableSignatureKey({ kty: 'oct', k: 'c2VjcmV0', kid: 'e' })).toBe(false);
  });

  it('parses a JWKS, keeps only public members, and refuses too many keys or bad JSON', async () => {
    const ec = { ...(await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)), kid: 'c', x5u: 'https://evil.example/cert', d: 'private' };
    let ignored = -1;
    const parse = createJwksParser(3, (n) => (ignored = n));
    const jwks = parse(encode({ keys: [ec, { kty: 'oct', k: 'x', kid: 'sym' }] }));
    expect(jwks.keys).toEqual([{ kty: 'EC', kid: 'c', crv: 'P-256', x: ec.x, y: ec.y }]);
    expect(ignored).toBe(1);
    expect(() => parse(encode({ keys: [ec, ec, ec, ec] }))).toThrow(/more than the limit of 3/);
    expect(() => parse(new TextEncoder().encode('{nope').buffer as ArrayBuffer)).toThrow(/not valid UTF-8 JSON/);
    expect(() => parse(encode({ keys: 'x' }))).toThrow(/no keys array/);
  });
});
