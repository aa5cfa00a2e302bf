import { SimpleJwksCache, SimplePenaltyBox, assertIsJwks, type Jwks } from 'aws-jwt-verify/jwk';
import type { Fetcher } from 'aws-jwt-verify/https';
import { JwksValidationError, NonRetryableFetchError } from 'aws-jwt-verify/error';
import { boundedRequest } from '../http/bounded-http.js';

export interface JwksLimits {
  readonly fetchTimeoutMs: number;
  readonly maxBytes: number;
  readonly maxKeys: number;
  readonly maxAgeSeconds: number;
  readonly penaltySeconds: number;
}

/** Notified of fetch outcomes, for logs and metrics. */
export interface JwksObserver {
  fetched(uri: string, keys: number, ignored: number): void;
  failed(uri: string, error: Error): void;
}

/**
 * Fetches a JWKS with gatepass's limits: only URIs named by the configuration, a
 * total deadline, a size cap, HTTP 200 only, no redirects.
 */
export class BoundedJwksFetcher implements Fetcher {
  constructor(
    private readonly allowedUris: ReadonlySet<string>,
    private readonly limits: Pick<JwksLimits, 'fetchTimeoutMs' | 'maxBytes'>,
  ) {}

  async fetch(uri: string): Promise<ArrayBuffer> {
    if (!this.allowedUris.has(uri)) throw new JwksValidationError('JWKS URI is not in the configuration');
    let response;
    try {
      // settings.jwks has no connect budget of its own: connecting may use the whole fetch budget.
      const timeoutMs = this.limits.fetchTimeoutMs;
      response = await boundedRequest({ url: uri, headers: { accept: 'application/json' }, connectTimeoutMs: timeoutMs, timeoutMs, maxResponseBytes: this.limits.maxBytes });
    } catch (error) {
      // Every HttpRequestError kind, in the library's own error family, so that callers translate it like any JWKS failure.
      throw new NonRetryableFetchError(uri, (error as Error).message);
    }
    if (response.status !== 200) throw new NonRetryableFetchError(uri, `JWKS endpoint answered HTTP ${response.status}`);
    const body = response.body;
    return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  }
}

const RSA_MIN_MODULUS_BYTES = 256; // 2048 bits
const CURVES_BY_KTY: Readonly<Record<string, readonly string[]>> = {
  EC: ['P-256', 'P-384', 'P-521'],
  OKP: ['Ed25519', 'Ed448'],
};

/** Decoded length of a base64url string without padding. */
function base64UrlByteLength(value: string): number {
  const unpadded = value.replace(/=+$/, '');
  return Math.floor((unpadded.length * 3) / 4);
}

/** Modulus length in bytes, ignoring leading zero bytes. */
function rsaModulusBytes(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  return bytes.length - start;
}

/**
 * Keeps only keys fit to verify gatepass's tokens: signature keys (`use` absent or
 * `sig`, `key_ops` absent or with `verify`), RSA of 2048 bits or more, known curves,
 * with a `kid`. Everything else is dropped, not trusted.
 */
export function usableSignatureKey(jwk: Record<string, unknown>): boolean {
  if (typeof jwk['kid'] !== 'string' || jwk['kid'] === '') return false;
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return false;
  const ops = jwk['key_ops'];
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return false;
  const kty = jwk['kty'];
  if (kty === 'RSA') {
    return typeof jwk['n'] === 'string' && typeof jwk['e'] === 'string' && rsaModulusBytes(jwk['n']) >= RSA_MIN_MODULUS_BYTES;
  }
  if (kty === 'EC' || kty === 'OKP') {
    const crv = jwk['crv'];
    return typeof crv === 'string' && CURVES_BY_KTY[kty]!.includes(crv) && typeof jwk['x'] === 'string' && base64UrlByteLength(jwk['x']) > 0;
  }
  return false;
}

export function createJwksParser(maxKeys: number, onIgnored?: (count: number) => void) {
  return (bin: ArrayBuffer): Jwks => {
    let document: unknown;
    try {
      document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bin));
    } catch {
      throw new JwksValidationError('JWKS is not valid UTF-8 JSON');
    }
    if (!document || typeof document !== 'object' || Array.isArray(document)) throw new JwksValidationError('JWKS is not an object');
    const keys = (document as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new JwksValidationError('JWKS has no keys array');
    if (keys.length > maxKeys) throw new JwksValidationError(`JWKS has ${keys.length} keys, more than the limit of ${maxKeys}`);
    const usable = keys.filter((k): k is Record<string, unknown> => !!k && typeof k === 'object' && !Array.isArray(k) && usableSignatureKey(k as Record<string, unknown>));
    if (usable.length !== keys.length) onIgnored?.(keys.length - usable.length);
    // Keep only the public members the verifier needs: nothing else is ever used.
    const jwks = {
      keys: usable.map((k) => {
        const kept: Record<string, string> = {};
        for (const name of ['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y']) {
          const value = k[name];
          if (typeof value === 'string') kept[name] = value;
        }
        return kept;
      }),
    };
    assertIsJwks(jwks);
    return jwks;
  };
}

/**
 * aws-jwt-verify's JWKS cache (refetch on an unknown `kid`, merged in-flight fetches,
 * penalty box) with two additions: a maximum age, after which the next verification
 * refetches so a key removed at the IdP stops working; and the penalty box also
 * applies after a failed fetch, so an IdP outage does not cost every request a timeout.
 */
export class AgingJwksCache extends SimpleJwksCache {
  private readonly nextRefreshAt = new Map<string, number>();
  private readonly penalty: SimplePenaltyBox;

  constructor(
    fetcher: Fetcher,
    private readonly limits: JwksLimits,
    private readonly observer: JwksObserver,
    private readonly now: () => number = Date.now,
  ) {
    const penaltyBox = new SimplePenaltyBox({ waitSeconds: limits.penaltySeconds });
    let ignored = 0;
    super({
      fetcher,
      penaltyBox,
      jwksParser: createJwksParser(limits.maxKeys, (count) => {
        ignored = count;
      }),
    });
    this.penalty = penaltyBox;
    const getJwks = this.getJwks.bind(this);
    // Record each successful fetch (the parent merges concurrent ones).
    this.getJwks = async (uri: string) => {
      ignored = 0;
      try {
        const jwks = await getJwks(uri);
        this.nextRefreshAt.set(uri, this.now() + this.limits.maxAgeSeconds * 1000);
        this.observer.fetched(uri, jwks.keys.length, ignored);
        return jwks;
      } catch (error) {
        this.penalty.registerFailedAttempt(uri);
        this.observer.failed(uri, error as Error);
        throw error;
      }
    };
  }

  /** True when the cached JWKS for `uri` should be refetched before use. */
  isStale(uri: string): boolean {
    const next = this.nextRefreshAt.get(uri);
    return next !== undefined && this.now() >= next;
  }

  /**
   * Refetch a stale JWKS. On failure the cached keys stay in use (an IdP outage must
   * not lock every caller out) and the next attempt waits for the penalty period.
   */
  async refresh(uri: string): Promise<Jwks | undefined> {
    try {
      return await this.getJwks(uri);
    } catch {
      this.nextRefreshAt.set(uri, this.now() + this.limits.penaltySeconds * 1000);
      return undefined;
    }
  }
}
