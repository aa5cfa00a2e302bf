import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as jose from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../../functions/shared/errors.js';
import {
  CLIENT_ASSERTION_TYPE,
  ClientAuthenticator,
  signingAlgorithmOf,
} from '../../../../functions/exchange/token-endpoint/client-authentication.js';
import { parseClientSecret } from '../../../../functions/exchange/token-endpoint/client-secrets.js';
import { systemClock } from '../../../../functions/exchange/exchange-clock.js';

vi.mock('jose', async (original) => {
  const actual = await original<typeof import('jose')>();
  return { ...actual, importJWK: vi.fn(actual.importJWK) };
});

const TARGET = { tokenEndpoint: 'https://login.corp.example/oauth2/token', secretId: 'gatepass/corp' };

async function privateJwk(alg: 'RS256' | 'ES256' | 'EdDSA', extra: Partial<JWK> = {}): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), ...extra };
}

const credentialsWith = (secret: object) => parseClientSecret(JSON.stringify(secret), 'gatepass/corp');
const params = (list: readonly (readonly [string, string])[]) => Object.fromEntries(list);

describe('client_secret_basic', () => {
  it('form-urlencodes id and secret before base64 (RFC 6749 §2.3.1)', async () => {
    const auth = await new ClientAuthenticator(systemClock).authenticate('client_secret_basic', credentialsWith({ client_id: 'my client', client_secret: 'a:b+c%d/e' }), TARGET);
    expect(auth.params).toEqual([]);
    const decoded = Buffer.from(auth.headers['authorization']!.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(decoded).toBe('my+client:a%3Ab%2Bc%25d%2Fe');
    const [id, secret] = decoded.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, '%20')));
    expect([id, secret]).toEqual(['my client', 'a:b+c%d/e']);
  });
});

describe('client_secret_post', () => {
  it('puts client_id and client_secret in the form and sends no Authorization header', async () => {
    const auth = await new ClientAuthenticator(systemClock).authenticate('client_secret_post', credentialsWith({ client_id: 'gw', client_secret: 's3cret' }), TARGET);
    expect(auth.headers).toEqual({});
    expect(params(auth.params)).toEqual({ client_id: 'gw', client_secret: 's3cret' });
  });

  it('is gateway_misconfigured when the secret holds a key instead', async () => {
    const credentials = credentialsWith({ client_id: 'gw', private_key_jwk: await privateJwk('ES256') });
    await expect(new ClientAuthenticator(systemClock).authenticate('client_secret_post', credentials, TARGET)).rejects.toMatchObject({ code: ErrorCode.GatewayMisconfigured });
  });
});

describe('private_key_jwt', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('signs a fresh %s assertion: iss = sub = client id, aud = token endpoint, unique jti, exp at most 60 s', async (alg) => {
    const credentials = credentialsWith({ client_id: 'gw-jwt', private_key_jwk: await privateJwk(alg, { kid: 'k1' }) });
    const authenticator = new ClientAuthenticator(systemClock);
    const first = params((await authenticator.authenticate('private_key_jwt', credentials, TARGET)).params);
    const second = params((await authenticator.authenticate('private_key_jwt', credentials, TARGET)).params);

    expect(first['client_assertion_type']).toBe(CLIENT_ASSERTION_TYPE);
    expect(first['client_id']).toBe('gw-jwt');
    const claims = decodeJwt(first['client_assertion']!);
    expect(claims).toMatchObject({ iss: 'gw-jwt', sub: 'gw-jwt', aud: TARGET.tokenEndpoint });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(60);
    expect(claims.exp! - claims.iat!).toBeGreaterThan(0);
    expect(decodeProtectedHeader(first['client_assertion']!)).toMatchObject({ alg, kid: 'k1' });
    expect(decodeJwt(second['client_assertion']!).jti).not.toBe(claims.jti);
  });

  it('imports the key once per secret version and reuses it', async () => {
    const importJWK = vi.mocked(jose.importJWK);
    importJWK.mockClear();
    const jwk = await privateJwk('ES256');
    const authenticator = new ClientAuthenticator(systemClock);
    const credentials = credentialsWith({ client_id: 'gw', private_key_jwk: jwk });
    await Promise.all(Array.from({ length: 5 }, () => authenticator.authenticate('private_key_jwt', credentials, TARGET)));
    await authenticator.authenticate('private_key_jwt', credentialsWith({ client_id: 'gw', private_key_jwk: jwk }), TARGET);
    expect(importJWK).toHaveBeenCalledTimes(1);
    await authenticator.authenticate('private_key_jwt', credentialsWith({ client_id: 'gw', private_key_jwk: await privateJwk('ES256') }), TARGET);
    expect(importJWK).toHaveBeenCalledTimes(2);
  });

  it('takes iat and exp from the injected clock', async () => {
    const clock = { now: () => 1_700_000_000_000, sleep: async () => undefined };
    const credentials = credentialsWith({ client_id: 'gw', private_key_jwk: await privateJwk('ES256') });
    const assertion = params((await new ClientAuthenticator(clock).authenticate('private_key_jwt', credentials, TARGET)).params)['client_assertion']!;
    expect(decodeJwt(assertion)).toMatchObject({ iat: 1_700_000_000, exp: 1_700_000_060 });
  });

  it.each([
    ['a symmetric alg on the key', async () => ({ ...(await privateJwk('ES256')), alg: 'HS256' })],
    ['a key that does not import', async () => ({ kty: 'EC', crv: 'P-256', d: 'AAAA', x: 'AAAA', y: 'AAAA' })],
    ['an unknown curve', async () => ({ kty: 'EC', crv: 'P-999', d: 'AAAA', x: 'AAAA', y: 'AAAA' })],
  ])('is gateway_misconfigured for %s, and the error holds no key material', async (_name, makeJwk) => {
    const jwk = await makeJwk();
    const credentials = credentialsWith({ client_id: 'gw', private_key_jwk: jwk });
    const error = await new ClientAuthenticator(systemClock).authenticate('private_key_jwt', credentials, TARGET).then(
      () => new Error('expected a refusal'),
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: ErrorCode.GatewayMisconfigured });
    expect(error.message).not.toContain(String(jwk.d));
    expect(error.cause).toBeUndefined();
  });

  it('is gateway_misconfigured when the secret holds a client_secret instead of a key', async () => {
    await expect(new ClientAuthenticator(systemClock).authenticate('private_key_jwt', credentialsWith({ client_id: 'gw', client_secret: 's' }), TARGET)).rejects.toMatchObject({
      code: ErrorCode.GatewayMisconfigured,
    });
  });
});

describe('signingAlgorithmOf', () => {
  it('uses the key’s own asymmetric alg, else the usual one of its type and curve', () => {
    expect(signingAlgorithmOf({ kty: 'RSA', alg: 'PS384' })).toBe('PS384');
    expect(signingAlgorithmOf({ kty: 'RSA' })).toBe('RS256');
    expect(signingAlgorithmOf({ kty: 'EC', crv: 'P-384' })).toBe('ES384');
    expect(signingAlgorithmOf({ kty: 'EC', crv: 'P-521' })).toBe('ES512');
    expect(signingAlgorithmOf({ kty: 'OKP', crv: 'Ed25519' })).toBe('EdDSA');
    expect(signingAlgorithmOf({ kty: 'RSA', alg: 'HS256' })).toBeUndefined();
    expect(signingAlgorithmOf({ kty: 'OKP', crv: 'X25519' })).toBeUndefined();
  });
});
