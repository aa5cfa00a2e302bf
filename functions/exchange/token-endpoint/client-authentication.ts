import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { clientSecretAuthentication, type ClientAuthentication } from '../../shared/client-secret-authentication.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import type { ClientCredentials } from './client-secrets.js';
import type { Clock } from '../exchange-clock.js';
import { keyFailure } from './token-endpoint-errors.js';

/**
 * How gatepass authenticates itself at a token endpoint (RFC 6749 §2.3, RFC 7523 §2.2):
 * - client_secret_basic and client_secret_post: as at an introspection endpoint, by the one
 *   encoder in functions/shared/client-secret-authentication.ts (RFC 6749 §2.3.1).
 * - private_key_jwt: a fresh assertion per request, signed with the secret's private JWK:
 *   iss = sub = client id, aud = the token endpoint URL, a random jti, iat = now,
 *   exp = now + 60 s; `client_assertion_type` jwt-bearer. The key is imported once per
 *   secret version and reused.
 * - none (a server that authenticates no client, e.g. Google STS): NO_CLIENT_AUTHENTICATION,
 *   and no secret is read (token-endpoint-client.ts).
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** clientAuth "none": no Authorization header, no client field in the form. */
export const NO_CLIENT_AUTHENTICATION: ClientAuthentication = Object.freeze({ headers: Object.freeze({}), params: Object.freeze([]) });

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Lifetime of a client assertion (seconds). */
const CLIENT_ASSERTION_LIFETIME_SECONDS = 60;

export interface AuthenticationTarget {
  /** The token endpoint URL: the assertion's audience. */
  readonly tokenEndpoint: string;
  /** For messages and the key cache. */
  readonly secretId: string;
}

const SIGNING_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
const CURVE_ALGORITHM: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', Ed25519: 'EdDSA' };

interface ImportedKey {
  readonly fingerprint: string;
  readonly key: Promise<{ key: CryptoKey | Uint8Array; alg: string }>;
}

export class ClientAuthenticator {
  readonly #clock: Clock;
  readonly #keys = new Map<string, ImportedKey>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async authenticate(method: ClientAuthMethod, credentials: ClientCredentials, target: AuthenticationTarget): Promise<ClientAuthentication> {
    switch (method) {
      case 'client_secret_basic':
      case 'client_secret_post':
        return clientSecretAuthentication(method, credentials.clientId, requireSecret(credentials, method, target.secretId));
      case 'private_key_jwt':
        return { headers: {}, params: [['client_id', credentials.clientId], ['client_assertion_type', CLIENT_ASSERTION_TYPE], ['client_assertion', await this.#assertion(credentials, target)]] };
    }
  }

  async #assertion(credentials: ClientCredentials, target: AuthenticationTarget): Promise<string> {
    const jwk = credentials.privateKeyJwk;
    if (!jwk) {
      throw new GatepassError(ErrorCode.GatewayMisconfigured, `client secret ${target.secretId} has no private_key_jwk, which private_key_jwt needs`);
    }
    const { key, alg } = await this.#signingKey(jwk, credentials.fingerprint, target.secretId);
    const now = Math.floor(this.#clock.now() / 1000);
    try {
      return await new SignJWT({})
        .setProtectedHeader({ alg, ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}) })
        .setIssuer(credentials.clientId)
        .setSubject(credentials.clientId)
        .setAudience(target.tokenEndpoint)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + CLIENT_ASSERTION_LIFETIME_SECONDS)
        .sign(key);
    } catch (error) {
      throw keyFailure(error, target.secretId);
    }
  }

  #signingKey(jwk: Readonly<JWK>, fingerprint: string, secretId: string): Promise<{ key: CryptoKey | Uint8Array; alg: string }> {
    const known = this.#keys.get(secretId);
    if (known && known.fingerprint === fingerprint) return known.key;
    const key = importSigningKey(jwk, secretId);
    this.#keys.set(secretId, { fingerprint, key });
    // A failed import is not remembered: a fixed secret works on the next request.
    key.catch(() => {
      if (this.#keys.get(secretId)?.key === key) this.#keys.delete(secretId);
    });
    return key;
  }
}

async function importSigningKey(jwk: Readonly<JWK>, secretId: string): Promise<{ key: CryptoKey | Uint8Array; alg: string }> {
  const alg = signingAlgorithmOf(jwk);
  if (!alg) {
    throw new GatepassError(ErrorCode.GatewayMisconfigured, `private_key_jwk of client secret ${secretId} has no usable signing algorithm`);
  }
  try {
    return { key: await importJWK({ ...jwk }, alg), alg };
  } catch (error) {
    throw keyFailure(error, secretId);
  }
}

/** The JWK's own `alg` when it is an asymmetric signing algorithm, else the usual one for its key type. */
export function signingAlgorithmOf(jwk: Readonly<JWK>): string | undefined {
  if (typeof jwk.alg === 'string') return SIGNING_ALGORITHMS.has(jwk.alg) ? jwk.alg : undefined;
  if (jwk.kty === 'RSA') return 'RS256';
  if ((jwk.kty === 'EC' || jwk.kty === 'OKP') && typeof jwk.crv === 'string') return CURVE_ALGORITHM[jwk.crv];
  return undefined;
}

function requireSecret(credentials: ClientCredentials, method: ClientAuthMethod, secretId: string): string {
  const secret = credentials.clientSecret;
  if (secret === undefined) {
    throw new GatepassError(ErrorCode.GatewayMisconfigured, `client secret ${secretId} has no client_secret, which ${method} needs`);
  }
  return secret;
}
