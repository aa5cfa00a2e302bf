import { CACHE_KEY_SECRET_ENV, CACHE_TABLE_ENV } from '../../functions/shared/contracts/environment-variables.js';
import { startDynalite, type LocalDynamo } from '../../fakes/dynalite.js';
import { startEchoUpstream, type EchoUpstream } from '../../fakes/echo-upstream.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../fakes/secrets-manager-server.js';

/** Where the exchange function's tests keep the cache key material in the Secrets Manager stand-in. */
export const CACHE_KEY_SECRET_ID = 'gatepass/cache-key';

/**
 * The AWS around the exchange function, on loopback: dynalite with the cache table, the
 * Secrets Manager stand-in, and the echo upstream the function forwards to.
 */
export interface ExchangeAws {
  readonly dynamo: LocalDynamo;
  readonly secrets: SecretsManagerServer;
  readonly echo: EchoUpstream;
  /** What the exchange function reads to reach them (endpoints, dummy credentials, table, key secret); no configuration. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** The exchange function's environment for this dynalite and Secrets Manager stand-in. */
export function exchangeAwsEnv(dynamo: LocalDynamo, secrets: SecretsManagerServer, cacheKeySecretId = CACHE_KEY_SECRET_ID): Record<string, string> {
  return { ...dynamo.env, ...secrets.env, [CACHE_TABLE_ENV]: dynamo.tableName, [CACHE_KEY_SECRET_ENV]: cacheKeySecretId };
}

/** Starts the three, the stand-in holding `secretValues` (the cache key under CACHE_KEY_SECRET_ID among them). */
export async function startExchangeAws(secretValues: Readonly<Record<string, string | object>>): Promise<ExchangeAws> {
  const [dynamo, secrets, echo] = await Promise.all([startDynalite(), startSecretsManagerServer(secretValues), startEchoUpstream()]);
  return {
    dynamo,
    secrets,
    echo,
    env: exchangeAwsEnv(dynamo, secrets),
    stop: async () => {
      await Promise.all([dynamo.stop(), secrets.stop(), echo.close()]);
    },
  };
}
