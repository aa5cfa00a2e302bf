import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ErrorCode, GatepassError, isGatepassError } from '../../shared/errors.js';
import { CacheKeys } from './cache-key.js';

/**
 * Where the cache keys come from. Resolves the derived keys, or rejects with:
 * - GatepassError `gateway_misconfigured` when the secret itself is wrong (missing, binary,
 *   shorter than 32 characters): the cache refuses to run on a bad key;
 * - CacheKeyUnavailableError when it could not be read right now (network, throttling,
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

/** The part of Powertools' SecretsProvider this module uses. */
export interface SecretReader {
  get(name: string, options?: { throwOnMissing?: boolean; maxAge?: number }): Promise<unknown>;
}

export interface SecretCacheKeySourceOptions {
  /** Default: a Powertools SecretsProvider over a SecretsManagerClient with bounded timeouts. */
  readonly secrets?: SecretReader;
  /** After a failed load, later calls fail fast with the same error for this long. Default 10 s. */
  readonly retryAfterMs?: number;
  /** Epoch milliseconds. */
  readonly clock?: () => number;
}

const DEFAULT_RETRY_AFTER_MS = 10_000;
const SECRETS_CONNECT_TIMEOUT_MS = 1_000;
const SECRETS_REQUEST_TIMEOUT_MS = 2_000;

/**
 * Loads the key material from Secrets Manager once per container and keeps the derived keys
 * for the container's life. Concurrent first calls share one read; a failed read is not kept
 * beyond `retryAfterMs`.
 *
 * Why not refresh on a max age: a key change is a cache flush (every `pk` changes with the
 * HMAC key, so old items are simply never found again and expire by TTL). Keeping one key per
 * container means a rotated secret takes effect as containers are recycled or redeployed,
 * and a warm container never splits its own cache halfway through.
 */
export function secretCacheKeySource(secretId: string, options: SecretCacheKeySourceOptions = {}): CacheKeySource {
  const secrets = options.secrets ?? defaultSecretReader();
  const retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  const clock = options.clock ?? Date.now;
  let loaded: Promise<CacheKeys> | undefined;
  let failedAt = 0;

  const load = async (): Promise<CacheKeys> => {
    let material: unknown;
    try {
      // maxAge is moot: the derived keys are memoised here, the provider is read once.
      material = await secrets.get(secretId, { throwOnMissing: true, maxAge: 86_400 });
    } catch (error) {
      if (error instanceof ParameterNotFoundError) {
        throw new GatepassError(ErrorCode.GatewayMisconfigured, `cache key secret ${secretId} does not exist`, { cause: error });
      }
      throw new CacheKeyUnavailableError(`cache key secret ${secretId} could not be read`, { cause: error });
    }
    if (typeof material !== 'string') {
      throw new GatepassError(ErrorCode.GatewayMisconfigured, `cache key secret ${secretId} must hold a SecretString`);
    }
    try {
      return CacheKeys.fromMaterial(material);
    } catch (error) {
      if (isGatepassError(error)) throw new GatepassError(error.code, `cache key secret ${secretId}: ${error.message}`, { cause: error });
      throw error;
    }
  };

  return () => {
    if (loaded && failedAt !== 0 && clock() - failedAt >= retryAfterMs) loaded = undefined;
    if (!loaded) {
      failedAt = 0;
      const attempt = load();
      loaded = attempt;
      attempt.catch(() => {
        if (loaded === attempt) failedAt = clock();
      });
    }
    return loaded;
  };
}

function defaultSecretReader(): SecretReader {
  const agentOptions = { keepAlive: true };
  // Without bounded timeouts a blackholed Secrets Manager would hang the request: with @smithy/node-http-handler 4.x a requestTimeout alone only logs a warning.
  const client = new SecretsManagerClient({
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: SECRETS_CONNECT_TIMEOUT_MS,
      requestTimeout: SECRETS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  });
  return new SecretsProvider({ awsSdkV3Client: client });
}
