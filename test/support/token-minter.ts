import { createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT, type JWK } from 'jose';

/** A signing key for tests, with its public JWK. */
export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

let counter = 0;

/** Generates a key pair. RSA sizes below 2048 are allowed here on purpose (weak-key tests). */
export async function generateTestKey(alg: 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA', options: { kid?: string; modulusLength?: number; use?: string } = {}): Promise<TestKey> {
  const kid = options.kid ?? `${alg.toLowerCase()}-${++counter}`;
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (alg.startsWith('RS')) pair = generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 });
  else if (alg === 'EdDSA') pair = generateKeyPairSync('ed25519');
  else pair = generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as 'ES256'] });
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg, use: options.use ?? 'sig' };
  return { kid, alg, privateKey: pair.privateKey, publicJwk };
}

export interface MintOptions {
  readonly header?: Record<string, unknown>;
  /** Seconds from now; default 300. */
  readonly expiresIn?: number;
  readonly omitExp?: boolean;
}

/** A signed JWT via jose, with sensible RFC 9068 defaults that claims can override. */
export async function mintJwt(key: TestKey, claims: Record<string, unknown>, options: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iat: now, jti: `jti-${++counter}`, ...claims };
  if (!options.omitExp && payload['exp'] === undefined) payload['exp'] = now + (options.expiresIn ?? 300);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header } as never)
    .sign(key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * Signs any header and payload with node:crypto directly: for tokens jose refuses to
 * make (weak RSA keys, `crit`, odd encodings). `header`/`payload` strings are used verbatim.
 */
export function signRaw(key: TestKey | KeyObject, alg: string, header: unknown, payload: unknown): string {
  const privateKey = 'privateKey' in key ? key.privateKey : key;
  const input = `${b64(header)}.${b64(payload)}`;
  let signature: Buffer;
  if (alg === 'EdDSA') signature = cryptoSign(null, Buffer.from(input), privateKey);
  else if (alg.startsWith('ES')) signature = cryptoSign(`sha${alg.slice(2)}`, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  else signature = cryptoSign(`sha${alg.slice(2)}`, Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** HS256 over the input with an arbitrary secret (the "public key as HMAC secret" attack). */
export function signHmac(secret: Buffer, header: unknown, payload: unknown): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export { b64 as base64url };
