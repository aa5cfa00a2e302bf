import { GatepassError, isGatepassError } from '../../shared/errors.js';
import { SecretReadError, SecretReadFailure, type SecretReader } from '../../shared/secrets/secret-reader.js';
import { CacheKeys } from './cache-key.js';

/**
 * Where the cache keys come from. Resolves the derived keys, or rejects with:
 * - GatepassError `gateway_misconfigured` when the secret itself is wrong (missing, binary,
 *   shorter than 32 characters): the cache refuses to run on a bad key;
 * - CacheKeyUnavailableError when it could not be read right now (timeout, throttling,
 *   permissions): the cache steps aside and the request is exchanged directly.
 */
export type CacheKeySource = () => Promise<CacheKeys>;

export class CacheKeyUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheKeyUnavailableError';
  }
}

/** Keys known up front (tests, or the random memory-only key). */
export function fixedCacheKeySource(keys: CacheKeys): CacheKeySource {
  const resolved = Promise.resolve(keys);
  return () => resolved;
}

export interface SecretCacheKeySourceOptions {
  /** The exchange Lambda's Secrets Manager reader: it keeps the text for settings.exchange.secretMaxAgeSeconds. */
  readonly readSecret: SecretReader;
  /** After a failed read, later calls answer at once (the last good keys, or the same error) for this long. Default 10 s. */
  readonly retryAfterMs?: number;
  /** Epoch milliseconds. */
  readonly clock?: () => number;
}

const DEFAULT_RETRY_AFTER_MS = 10_000;

/**
 * Reads the key material through the shared reader, so a rotated secret takes effect within
 * settings.exchange.secretMaxAgeSeconds; keys are derived again only when the text changed.
 * A key change flushes the table (every `pk` changes with the HMAC key, old items are never
 * found again and expire by TTL); a warm container's memory layer, keyed without key
 * material, keeps its entries until they expire or the container is replaced.
 *
 * Once a container has good keys, a failed re-read (Secrets Manager, or a bad new value)
 * keeps them: availability, as for a JWKS that cannot be refetched. Without keys, the
 * failure is reported. Either way the next read waits `retryAfterMs`, so an outage costs
 * one timeout per interval, not one per request. Concurrent reads share one call (the reader).
 */
export function secretCacheKeySource(secretId: string, options: SecretCacheKeySourceOptions): CacheKeySource {
  const { readSecret } = options;
  const retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  const clock = options.clock ?? Date.now;
  let current: { readonly text: string; readonly keys: CacheKeys } | undefined;
  let lastFailure: { readonly error: unknown; readonly at: number } | undefined;

  const load = async (): Promise<CacheKeys> => {
    let text: string;
    try {
      text = await readSecret(secretId, { forceFetch: false });
    } catch (error) {
      throw cacheKeyReadFailure(error, secretId);
    }
    if (current?.text === text) return current.keys;
    let keys: CacheKeys;
    try {
      keys = CacheKeys.fromMaterial(text);
    } catch (error) {
      if (isGatepassError(error)) throw new GatepassError(error.code, `cache key secret ${secretId}: ${error.message}`, { cause: error });
      throw error;
    }
    current = { text, keys };
    return keys;
  };

  return async () => {
    if (lastFailure && clock() - lastFailure.at < retryAfterMs) {
      if (current) return current.keys;
      throw lastFailure.error;
    }
    try {
      const keys = await load();
      lastFailure = undefined;
      return keys;
    } catch (error) {
      lastFailure = { error, at: clock() };
      if (current) return current.keys;
      throw error;
    }
  };
}

/** A missing or binary secret is the deployment's fault; anything else (timeouts, throttling, permissions) lets the cache step aside. */
function cacheKeyReadFailure(error: unknown, secretId: string): Error {
  if (error instanceof SecretReadError && (error.failure === SecretReadFailure.NotFound || error.failure === SecretReadFailure.NotText)) {
    return new GatepassError(error.code, `cache key secret ${secretId} is unusable: ${error.failure}`, { cause: error });
  }
  return new CacheKeyUnavailableError(`cache key secret ${secretId} could not be read`, { cause: error });
}
