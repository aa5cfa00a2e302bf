import { hash } from 'node:crypto';
import { inspect } from 'node:util';
import type { JWK } from 'jose';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import type { SecretReader } from '../../shared/secrets/secret-reader.js';
import { secretsFailure } from './token-endpoint-errors.js';

/**
 * The gateway's own client credentials at an authorization server, read from the Secrets
 * Manager secret its `clientSecretId` names. The secret is JSON, one of:
 *
 *   {"client_id": "...", "client_secret": "..."}          client_secret_basic / client_secret_post
 *   {"client_id": "...", "private_key_jwk": {...}}       private_key_jwt (a private JWK: RSA, EC or OKP)
 *
 * Other fields are ignored (rotation tooling often adds some). A secret of any other shape
 * is `gateway_misconfigured`; the message never repeats the secret's content.
 */
export class ClientCredentials {
  readonly clientId: string;
  /**
   * SHA-256 of the secret's text, first 16 hex: tells two versions apart (rotation, key
   * import cache) without revealing either.
   */
  readonly fingerprint: string;
  readonly #clientSecret: string | undefined;
  readonly #privateKeyJwk: Readonly<JWK> | undefined;

  constructor(clientId: string, fingerprint: string, material: { clientSecret: string } | { privateKeyJwk: JWK }) {
    this.clientId = clientId;
    this.fingerprint = fingerprint;
    this.#clientSecret = 'clientSecret' in material ? material.clientSecret : undefined;
    this.#privateKeyJwk = 'privateKeyJwk' in material ? Object.freeze({ ...material.privateKeyJwk }) : undefined;
  }

  get clientSecret(): string | undefined {
    return this.#clientSecret;
  }

  get privateKeyJwk(): Readonly<JWK> | undefined {
    return this.#privateKeyJwk;
  }

  // Accidental logging shows who, never the secret.
  toJSON(): object {
    return { clientId: this.clientId, fingerprint: this.fingerprint };
  }

  [inspect.custom](): string {
    return `ClientCredentials(${this.clientId}, ${this.fingerprint})`;
  }
}

const MAX_CLIENT_ID = 1024;
const MAX_CLIENT_SECRET = 4096;
const VISIBLE_ASCII = /^[\x20-\x7E]+$/;
const PRIVATE_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

const misconfigured = (secretId: string, why: string) =>
  new GatepassError(ErrorCode.GatewayMisconfigured, `client secret ${secretId} ${why}`);

/** Validates and parses a client secret's text. */
export function parseClientSecret(text: string, secretId: string): ClientCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the input: never pass them on.
    throw misconfigured(secretId, 'is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw misconfigured(secretId, 'is not a JSON object');
  const fields = value as Record<string, unknown>;
  const clientId = fields['client_id'];
  if (typeof clientId !== 'string' || clientId === '' || clientId.length > MAX_CLIENT_ID || !VISIBLE_ASCII.test(clientId)) {
    throw misconfigured(secretId, 'needs client_id: a non-empty string of printable ASCII');
  }
  const fingerprint = hash('sha256', text, 'hex').slice(0, 16);
  const secret = fields['client_secret'];
  const jwk = fields['private_key_jwk'];
  if (secret !== undefined && jwk !== undefined) throw misconfigured(secretId, 'has both client_secret and private_key_jwk');
  if (secret !== undefined) {
    if (typeof secret !== 'string' || secret === '' || secret.length > MAX_CLIENT_SECRET || !VISIBLE_ASCII.test(secret)) {
      throw misconfigured(secretId, 'needs client_secret: a non-empty string of printable ASCII');
    }
    return new ClientCredentials(clientId, fingerprint, { clientSecret: secret });
  }
  if (jwk !== undefined) {
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw misconfigured(secretId, 'private_key_jwk is not a JSON object');
    const key = jwk as JWK;
    if (typeof key.kty !== 'string' || !PRIVATE_KEY_TYPES.has(key.kty)) throw misconfigured(secretId, 'private_key_jwk must be an RSA, EC or OKP key');
    if (typeof key.d !== 'string' || key.d === '') throw misconfigured(secretId, 'private_key_jwk is not a private key');
    return new ClientCredentials(clientId, fingerprint, { privateKeyJwk: key });
  }
  throw misconfigured(secretId, 'needs client_secret or private_key_jwk');
}

/** Where the client reads its credentials; tests may pass their own. */
export interface ClientSecretSource {
  /** The credentials, from a cache no older than the configured max age. */
  get(secretId: string): Promise<ClientCredentials>;
  /** Reads the secret again now, past every cache (after `invalid_client`: it may have rotated). */
  refresh(secretId: string): Promise<ClientCredentials>;
}

/**
 * The shortest time between two forced re-reads of one secret. Any 401 from a token endpoint
 * counts as a refusal of the gateway's credentials, and some servers also answer 401 for a bad
 * subject token (Auth0's On-Behalf-Of reference), so callers could otherwise make every request
 * cost a Secrets Manager read. A rotation is still picked up within this long.
 */
export const MIN_FORCED_REREAD_INTERVAL_MS = 10_000;

/**
 * Client secrets read through the exchange Lambda's Secrets Manager reader (which keeps the
 * text for settings.exchange.secretMaxAgeSeconds and shares concurrent reads); `refresh`
 * forces a re-read, at most once per MIN_FORCED_REREAD_INTERVAL_MS per secret. A text is
 * parsed once, and the same ClientCredentials object is returned while it does not change.
 */
export class ClientSecretsFromReader implements ClientSecretSource {
  readonly #readSecret: SecretReader;
  readonly #now: () => number;
  readonly #parsed = new Map<string, { text: string; credentials: ClientCredentials }>();
  readonly #lastForcedRead = new Map<string, number>();

  /** `now`: epoch milliseconds (tests pass their own clock). */
  constructor(readSecret: SecretReader, now: () => number = Date.now) {
    this.#readSecret = readSecret;
    this.#now = now;
  }

  get(secretId: string): Promise<ClientCredentials> {
    return this.#read(secretId, false);
  }

  refresh(secretId: string): Promise<ClientCredentials> {
    const now = this.#now();
    const last = this.#lastForcedRead.get(secretId);
    // Re-read recently: the value in hand is as fresh as a forced read would be worth.
    if (last !== undefined && now - last < MIN_FORCED_REREAD_INTERVAL_MS) return this.#read(secretId, false);
    this.#lastForcedRead.set(secretId, now);
    return this.#read(secretId, true);
  }

  async #read(secretId: string, forceFetch: boolean): Promise<ClientCredentials> {
    let text: string;
    try {
      text = await this.#readSecret(secretId, { forceFetch });
    } catch (error) {
      throw secretsFailure(error, secretId);
    }
    const known = this.#parsed.get(secretId);
    if (known && known.text === text) return known.credentials;
    const credentials = parseClientSecret(text, secretId);
    this.#parsed.set(secretId, { text, credentials });
    return credentials;
  }
}
