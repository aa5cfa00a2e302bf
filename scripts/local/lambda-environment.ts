import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { CACHE_KEY_SECRET_ENV, CACHE_TABLE_ENV, CONFIG_FILE_ENV } from '../../functions/shared/contracts/environment-variables.js';
import { METRICS_NAMESPACE, ServiceName } from '../../functions/shared/contracts/metric-names.js';
import { BUNDLED_CONFIG_FILE_NAME } from '../../infra/bundling-options.js';

/**
 * The environment of each local function container: what the CDK stack sets on the
 * function (infra/constructs/gatepass-functions.ts), what the Lambda service adds, and
 * the endpoint overrides that point the AWS SDK at the loopback stand-ins. Nothing else:
 * a container never inherits the developer's shell environment.
 */
export const LocalFunction = {
  Authorizer: 'authorizer',
  Exchange: 'exchange',
} as const;
export type LocalFunction = (typeof LocalFunction)[keyof typeof LocalFunction];

/** Timeouts and memory the stack gives each function (GatepassFunctions defaults). */
export const FUNCTION_SETTINGS: Readonly<Record<LocalFunction, { functionName: string; service: string; timeoutSeconds: number; memorySize: number }>> = {
  authorizer: { functionName: 'gatepass-authorizer', service: ServiceName.Authorizer, timeoutSeconds: 10, memorySize: 512 },
  exchange: { functionName: 'gatepass-exchange', service: ServiceName.Exchange, timeoutSeconds: 29, memorySize: 512 },
};

/** The stack's Lambda runtime (GATEPASS_RUNTIME), as AWS_EXECUTION_ENV names it. */
const LAMBDA_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';

/** Dummy credentials and region: the SDK signs its requests, the loopback servers ignore signatures. */
const LOCAL_AWS_CREDENTIALS = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCALGATEPASS',
  AWS_SECRET_ACCESS_KEY: 'local-gatepass-not-a-secret',
  AWS_SESSION_TOKEN: 'local-gatepass-session',
} as const;

export interface LocalAwsEndpoints {
  /** AWS_ENDPOINT_URL_DYNAMODB */
  readonly dynamodb: string;
  /** AWS_ENDPOINT_URL_SECRETS_MANAGER */
  readonly secretsManager: string;
}

export interface FunctionEnvironmentInput {
  readonly fn: LocalFunction;
  /** The bundle folder (LAMBDA_TASK_ROOT). */
  readonly taskRoot: string;
  /** The compiled runtime (its folder is LAMBDA_RUNTIME_DIR). */
  readonly runtimeFile: string;
  readonly endpoints: LocalAwsEndpoints;
  /** Exchange only: the cache table and the cache key secret. */
  readonly cacheTable?: string;
  readonly cacheKeySecretId?: string;
  /** POWERTOOLS_LOG_LEVEL; default INFO, as the stack. */
  readonly logLevel?: string;
}

export function functionEnvironment(input: FunctionEnvironmentInput): Record<string, string> {
  const settings = FUNCTION_SETTINGS[input.fn];
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const environment: Record<string, string> = {
    // set by the Lambda service
    AWS_LAMBDA_FUNCTION_NAME: settings.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${settings.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: LAMBDA_EXECUTION_ENV,
    LAMBDA_TASK_ROOT: input.taskRoot,
    LAMBDA_RUNTIME_DIR: dirname(input.runtimeFile),
    _HANDLER: 'index.handler',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: '/usr/local/bin:/usr/bin:/bin',
    ...LOCAL_AWS_CREDENTIALS,
    // set by the stack (GatepassFunctions)
    [CONFIG_FILE_ENV]: BUNDLED_CONFIG_FILE_NAME,
    POWERTOOLS_SERVICE_NAME: settings.service,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: input.logLevel ?? 'INFO',
    // local stand-ins
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: input.endpoints.secretsManager,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  if (input.fn === LocalFunction.Exchange) {
    if (input.cacheTable) environment[CACHE_TABLE_ENV] = input.cacheTable;
    if (input.cacheKeySecretId) environment[CACHE_KEY_SECRET_ENV] = input.cacheKeySecretId;
  }
  return environment;
}
