import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GatepassConfig } from '../../functions/shared/config/config-schema.js';
import { buildFunctionBundles } from './function-bundles.js';
import { FunctionLogs } from './function-logs.js';
import type { ApiFlavour } from './gateway-events.js';
import { FUNCTION_SETTINGS, functionEnvironment, LocalFunction } from './lambda-environment.js';
import { LambdaFunction } from './lambda-function.js';
import { LocalGateway, type AccessLogEntry } from './local-gateway.js';
import type { PortReservation } from './port-reservation.js';

/** What a caller chooses about either local stack (the demo and `npm start -- --config`). */
export interface LocalGatewayOptions {
  /** Bundles, configuration and logs go here. */
  readonly workDir: string;
  /** Default `http` (HTTP API, payload 2.0); `rest` for the REST API. */
  readonly flavour?: ApiFlavour;
  /** Gateway port; default 0 (ephemeral). */
  readonly gatewayPort?: number;
  /** Default 60 s, as the stack; 0 turns the authorizer cache off. */
  readonly authorizerCacheTtlSeconds?: number;
  /** Containers per function at most; default 4. */
  readonly maxContainers?: number;
  /** The Node.js binary the functions' containers run; default this process's (start.ts passes Lambda's). */
  readonly functionNodeExecPath?: string;
  /** Mirror the functions' log lines to this stream (they always go to workDir/logs/). */
  readonly mirrorFunctionLogs?: NodeJS.WritableStream;
  readonly onRequest?: (entry: AccessLogEntry) => void;
}

/** What both local stacks run gatepass with: the caller's choices and what the stack started for the functions. */
export interface GatepassFunctionsOptions extends Pick<LocalGatewayOptions, 'workDir' | 'authorizerCacheTtlSeconds' | 'maxContainers' | 'functionNodeExecPath' | 'onRequest'> {
  readonly config: GatepassConfig;
  /** The configuration file the bundles are built from (the one the functions read). */
  readonly configFile: string;
  readonly flavour: ApiFlavour;
  readonly endpoints: { readonly dynamodb: string; readonly secretsManager: string };
  readonly cacheTable: string;
  readonly cacheKeySecretId: string;
  readonly logs: Readonly<Record<LocalFunction, FunctionLogs>>;
  /** Held until the gateway listens on it. */
  readonly gatewayPort: PortReservation;
}

/** Both functions' logs, in workDir/logs/<function>.log and mirrored to `mirrorFunctionLogs` when given. */
export function openFunctionLogs(options: Pick<LocalGatewayOptions, 'workDir' | 'mirrorFunctionLogs'>): Record<LocalFunction, FunctionLogs> {
  const logsDir = join(options.workDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const mirror = options.mirrorFunctionLogs ? { mirror: options.mirrorFunctionLogs } : {};
  const open = (fn: LocalFunction) => new FunctionLogs(FUNCTION_SETTINGS[fn].functionName, { file: join(logsDir, `${fn}.log`), ...mirror });
  return { authorizer: open(LocalFunction.Authorizer), exchange: open(LocalFunction.Exchange) };
}

export interface GatepassFunctions {
  readonly functions: Readonly<Record<LocalFunction, LambdaFunction>>;
  readonly gateway: LocalGateway;
  readonly buildMs: number;
}

/**
 * Bundles both functions as the stack deploys them, runs them as local Lambda containers and
 * puts the local API Gateway in front. Every part started is handed to `cleanup` (stopped in
 * reverse order by the caller), also when a later part fails to start.
 */
export async function startGatepassFunctions(options: GatepassFunctionsOptions, cleanup: (stop: () => Promise<void> | void) => void): Promise<GatepassFunctions> {
  const bundles = await buildFunctionBundles(join(options.workDir, 'build'), options.configFile);
  const makeFunction = (fn: LocalFunction) =>
    new LambdaFunction({
      name: FUNCTION_SETTINGS[fn].functionName,
      taskRoot: bundles.taskRoots[fn],
      runtimeFile: bundles.runtimeFile,
      environment: functionEnvironment({
        fn,
        taskRoot: bundles.taskRoots[fn],
        runtimeFile: bundles.runtimeFile,
        endpoints: options.endpoints,
        cacheTable: options.cacheTable,
        cacheKeySecretId: options.cacheKeySecretId,
      }),
      timeoutSeconds: FUNCTION_SETTINGS[fn].timeoutSeconds,
      ...(options.functionNodeExecPath !== undefined ? { nodeExecPath: options.functionNodeExecPath } : {}),
      logs: options.logs[fn],
      ...(options.maxContainers !== undefined ? { maxContainers: options.maxContainers } : {}),
    });
  const functions = { authorizer: makeFunction(LocalFunction.Authorizer), exchange: makeFunction(LocalFunction.Exchange) };
  cleanup(() => functions.authorizer.stop());
  cleanup(() => functions.exchange.stop());

  const gateway = new LocalGateway({
    config: options.config,
    flavour: options.flavour,
    authorizer: functions.authorizer,
    exchange: functions.exchange,
    authorizerCacheTtlSeconds: options.authorizerCacheTtlSeconds ?? 60,
    port: options.gatewayPort.port,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  await options.gatewayPort.release();
  await gateway.start();
  cleanup(() => gateway.stop());
  return { functions, gateway, buildMs: bundles.buildMs };
}
