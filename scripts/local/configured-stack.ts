import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommandInputError } from '../command-line.js';
import type { GatepassConfig } from '../../functions/shared/config/config-schema.js';
import { loadConfigFile } from '../../functions/shared/config/config-loader.js';
import { GENERATED_CACHE_KEY_MATERIAL_LENGTH } from '../../functions/shared/contracts/cache-table.js';
import { startDynalite, type LocalDynamo } from '../../fakes/dynalite.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../fakes/secrets-manager-server.js';
import { requiredSecrets } from '../../infra/deployable-config.js';
import { FunctionLogs } from './function-logs.js';
import type { ApiFlavour } from './gateway-events.js';
import { openFunctionLogs, startGatepassFunctions, type LocalGatewayOptions } from './gatepass-functions.js';
import { isJsonObject } from './json-object.js';
import type { LocalFunction } from './lambda-environment.js';
import type { LambdaFunction } from './lambda-function.js';
import type { LocalGateway } from './local-gateway.js';
import { reservePort } from './port-reservation.js';

/**
 * `npm start -- --config FILE [--secrets FILE]`: the local gateway and both functions with the
 * user's own configuration instead of the demo. Around them only what AWS would provide:
 * dynalite with the cache table and the Secrets Manager stand-in holding the `--secrets` file's
 * secrets and the cache key. No IdP, authorization server or upstream is started: the functions
 * call exactly the URLs the configuration names (its issuers' JWKS and introspection
 * endpoints, its token endpoints, its upstreams), wherever they are.
 */

/** The cache key's secret id: the file's own under this id, else random material generated at start. */
export const LOCAL_CACHE_KEY_SECRET_ID = 'gatepass/cache-key';

/**
 * The `--secrets` file: a JSON object of secret id → secret string. A JSON object value is
 * taken as its JSON text, which is what a JSON secret in Secrets Manager holds.
 */
export function readSecretsFile(file: string): Record<string, string> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CommandInputError(`cannot read the secrets file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // Only where: the parser's message quotes the text around the fault, which is a secret.
    const where = /at position \d+/.exec((error as Error).message)?.[0];
    throw new CommandInputError(`the secrets file ${path} is not valid JSON${where ? ` (${where})` : ''}`);
  }
  if (!isJsonObject(document)) {
    throw new CommandInputError(`the secrets file ${path} must be a JSON object of secret id → secret string`);
  }
  const secrets: Record<string, string> = {};
  for (const [id, value] of Object.entries(document)) {
    if (typeof value === 'string') secrets[id] = value;
    else if (isJsonObject(value)) secrets[id] = JSON.stringify(value);
    // The value is never echoed: it is a secret.
    else throw new CommandInputError(`the secrets file ${path}: the value of "${id}" must be a string (or a JSON object, stored as its text)`);
  }
  return secrets;
}

export interface ConfiguredStackOptions extends LocalGatewayOptions {
  /** The user's configuration file (validated here; a ConfigError lists every field path at fault). */
  readonly configFile: string;
  /** Secret id → secret string, served by the Secrets Manager stand-in. */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface ConfiguredStack {
  readonly flavour: ApiFlavour;
  readonly config: GatepassConfig;
  readonly configFile: string;
  readonly urls: { readonly gateway: string; readonly dynamodb: string; readonly secretsManager: string };
  readonly gateway: LocalGateway;
  readonly functions: Readonly<Record<LocalFunction, LambdaFunction>>;
  readonly logs: Readonly<Record<LocalFunction, FunctionLogs>>;
  readonly dynamo: LocalDynamo;
  readonly secrets: SecretsManagerServer;
  /** True when the cache key was generated (the secrets file had no LOCAL_CACHE_KEY_SECRET_ID). */
  readonly generatedCacheKey: boolean;
  /** Secret ids the configuration names that the secrets file does not hold. */
  readonly missingSecrets: readonly string[];
  readonly timings: { readonly startMs: number; readonly buildMs: number };
  stop(): Promise<void>;
}

export async function startConfiguredStack(options: ConfiguredStackOptions): Promise<ConfiguredStack> {
  const started = performance.now();
  const flavour = options.flavour ?? 'http';
  // Before anything runs: a bad file is the user's to fix, with every field path named.
  const config = loadConfigFile(options.configFile);
  const configFile = resolve(options.configFile);
  const secretsGiven = options.secrets ?? {};
  const generatedCacheKey = secretsGiven[LOCAL_CACHE_KEY_SECRET_ID] === undefined;
  const secretValues = generatedCacheKey
    ? { ...secretsGiven, [LOCAL_CACHE_KEY_SECRET_ID]: randomBytes(GENERATED_CACHE_KEY_MATERIAL_LENGTH).toString('base64url').slice(0, GENERATED_CACHE_KEY_MATERIAL_LENGTH) }
    : { ...secretsGiven };
  const missingSecrets = [...new Set(requiredSecrets(config).map((s) => s.secretId))].filter((id) => secretsGiven[id] === undefined);

  const gatewayPort = await reservePort(options.gatewayPort ?? 0, 'gateway');
  const logs = openFunctionLogs(options);
  const cleanups: (() => Promise<void> | void)[] = [() => gatewayPort.release()];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await Promise.all(Object.values(logs).map((l) => l.close()));
  };

  try {
    const [dynamo, secrets] = await Promise.all([startDynalite(), startSecretsManagerServer(secretValues)]);
    cleanups.push(
      () => dynamo.stop(),
      () => secrets.stop(),
    );
    const { functions, gateway, buildMs } = await startGatepassFunctions(
      {
        ...options, // the caller's choices: authorizer cache TTL, containers, Node binary, access log
        config,
        configFile,
        flavour,
        endpoints: { dynamodb: dynamo.endpoint, secretsManager: secrets.endpoint },
        cacheTable: dynamo.tableName,
        cacheKeySecretId: LOCAL_CACHE_KEY_SECRET_ID,
        logs,
        gatewayPort,
      },
      (stop) => cleanups.push(stop),
    );
    return {
      flavour,
      config,
      configFile,
      urls: { gateway: gateway.url, dynamodb: dynamo.endpoint, secretsManager: secrets.endpoint },
      gateway,
      functions,
      logs,
      dynamo,
      secrets,
      generatedCacheKey,
      missingSecrets,
      timings: { startMs: performance.now() - started, buildMs },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
