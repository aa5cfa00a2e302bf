/**
 * `npm start`: the whole gatepass flow on this machine, no AWS account needed. Starts the
 * local stack (local-stack.ts), runs every walkthrough step once, prints the URLs and the
 * walkthrough with what each step returned, then serves until Ctrl-C (SIGINT or SIGTERM),
 * which stops every server and function process. With `--config FILE` it runs the local
 * gateway and both functions with that configuration instead (configured-stack.ts): no demo.
 *
 *   npm start [-- --rest] [--port 4280] [--control-port 0] [--authorizer-cache-ttl 60] [--logs] [--dir .local/stack]
 *   npm start -- --config FILE [--secrets FILE] [--port N] [--rest]
 */
import { join, relative, resolve } from 'node:path';
import { LOCAL_STATE_FILE_ENV } from '../../functions/shared/contracts/environment-variables.js';
import { loadConfigFile } from '../../functions/shared/config/config-loader.js';
import { ConfigError } from '../../functions/shared/config/config-validator.js';
import { gatewayRoutesOf } from '../../functions/shared/config/gateway-routes.js';
import { CommandInputError, parseCommandLine } from '../command-line.js';
import { findLambdaNode, LAMBDA_NODE_MAJOR, type LambdaNode } from '../lambda-node.js';
import { LOCAL_CACHE_KEY_SECRET_ID, readSecretsFile, startConfiguredStack, type ConfiguredStack } from './configured-stack.js';
import type { LocalGatewayOptions } from './gatepass-functions.js';
import type { AccessLogEntry } from './local-gateway.js';
import { DEFAULT_LOCAL_DIR } from './local-state.js';
import { startLocalStack, type LocalStack } from './local-stack.js';
import { PortInUseError } from './port-reservation.js';
import { renderWalkthrough, runStep, walkthroughSteps, type StepResult } from './walkthrough.js';

export const DEFAULT_GATEWAY_PORT = 4280;

const USAGE = `usage: npm start -- [--rest] [--port <n>] [--control-port <n>] [--authorizer-cache-ttl <seconds>] [--logs] [--dir <path>]
       npm start -- --config <file> [--secrets <file>] [--rest] [--port <n>] [--authorizer-cache-ttl <seconds>] [--logs] [--dir <path>]
  --config                your own gatepass configuration instead of the demo: the local gateway and both functions
                          only (no demo IdPs, no walkthrough); the functions call exactly the URLs it names
  --secrets               with --config: a JSON object of secret id → secret string for the Secrets Manager stand-in;
                          the cache key (${LOCAL_CACHE_KEY_SECRET_ID}) is generated unless the file holds it
  --rest                  REST API (payload 1.0 events, REQUEST authorizer) instead of the HTTP API (payload 2.0)
  --port                  gateway port on 127.0.0.1 (default ${DEFAULT_GATEWAY_PORT}; 0 picks a free one)
  --control-port          control endpoint port (default 0: a free one; npm run token finds it)
  --authorizer-cache-ttl  API Gateway's authorizer result cache, seconds (default 60 as the stack; 0 = off)
  --logs                  also print the functions' log lines here (always in <dir>/logs/)
  --dir                   bundles, configuration, logs and state.json (default .local/stack); with another
                          folder, point npm run token/invoke at it: GATEPASS_LOCAL_STATE=<dir>/state.json`;

const INTEGER_OPTIONS = { port: 65535, 'control-port': 65535, 'authorizer-cache-ttl': 3600 } as const;

const isIntegerUpTo = (value: string, max: number) => /^\d+$/.test(value) && Number(value) <= max;

function options() {
  const { values } = parseCommandLine(
    USAGE,
    {
      options: {
        rest: { type: 'boolean', default: false },
        http: { type: 'boolean', default: false },
        port: { type: 'string', default: String(DEFAULT_GATEWAY_PORT) },
        'control-port': { type: 'string', default: '0' },
        'authorizer-cache-ttl': { type: 'string', default: '60' },
        logs: { type: 'boolean', default: false },
        dir: { type: 'string', default: DEFAULT_LOCAL_DIR },
        config: { type: 'string' },
        secrets: { type: 'string' },
      },
    },
    ({ values }) => {
      for (const [name, max] of Object.entries(INTEGER_OPTIONS)) {
        if (!isIntegerUpTo(values[name as keyof typeof INTEGER_OPTIONS], max)) return `--${name} must be an integer from 0 to ${max}`;
      }
      if (values.secrets !== undefined && values.config === undefined) return '--secrets goes with --config (the demo makes its own secrets)';
      return undefined;
    },
  );
  return {
    flavour: values.rest ? ('rest' as const) : ('http' as const),
    port: Number(values.port),
    controlPort: Number(values['control-port']),
    ttl: Number(values['authorizer-cache-ttl']),
    logs: values.logs,
    dir: resolve(values.dir),
    config: values.config,
    secrets: values.secrets,
  };
}

type StartOptions = ReturnType<typeof options>;

/** One line per gateway request, once the stack is up. */
function accessLine(entry: AccessLogEntry): string {
  const route = entry.routeId ?? '-';
  const why = entry.failure ? ` ${entry.failure}` : '';
  return `[gateway] ${entry.method} ${entry.path} → ${entry.status} (route ${route}, authorizer ${entry.authorizer}${why}, ${entry.latencyMs.toFixed(0)} ms)`;
}

/** Stops the stack on Ctrl-C (SIGINT) or SIGTERM; a second signal exits at once. */
function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    void stop().then(
      () => {
        console.log('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('stop failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/** A path as the user would type it from here. */
const show = (path: string) => relative(process.cwd(), path) || path;

const API_DESCRIPTIONS = {
  rest: 'REST API, payload 1.0 events, REQUEST authorizer',
  http: 'HTTP API, payload 2.0 events, simple-response authorizer',
} as const;

const nodeLine = (node: LambdaNode) => `the functions' containers run Node ${node.version} (Lambda: nodejs${LAMBDA_NODE_MAJOR}.x)`;

/** What both stacks take from the command line; a request's access line prints once `printing()` says so. */
function localGatewayOptions(opts: StartOptions, node: LambdaNode, printing: () => boolean): LocalGatewayOptions {
  return {
    workDir: opts.dir,
    flavour: opts.flavour,
    gatewayPort: opts.port,
    authorizerCacheTtlSeconds: opts.ttl,
    functionNodeExecPath: node.execPath,
    ...(opts.logs ? { mirrorFunctionLogs: process.stdout } : {}),
    onRequest: (entry) => {
      if (printing()) console.log(accessLine(entry));
    },
  };
}

function configuredBanner(stack: ConfiguredStack, node: LambdaNode): string {
  const api = API_DESCRIPTIONS[stack.flavour];
  const guards = { authorizer: 'authorizer', function: 'no authorizer: the exchange function validates', none: 'public' } as const;
  const routes = gatewayRoutesOf(stack.config).map((r) => `  ${`${r.method} ${r.path}`.padEnd(48)}  route ${r.routeId}, ${guards[r.guard]}`);
  return [
    `gatepass local gateway is up in ${(stack.timings.startMs / 1000).toFixed(1)} s with ${show(stack.configFile)} (${api})`,
    nodeLine(node),
    '',
    // Exactly this line: scripts and tests read the gateway's URL from it.
    `gateway  ${stack.urls.gateway}`,
    '',
    `  DynamoDB         ${stack.urls.dynamodb}  dynalite, table ${stack.dynamo.tableName}`,
    `  Secrets Manager  ${stack.urls.secretsManager}  the --secrets file's secrets${stack.generatedCacheKey ? `, and a generated cache key (${LOCAL_CACHE_KEY_SECRET_ID})` : ''}`,
    `  function logs    ${show(stack.logs.authorizer.file ?? '')}, ${show(stack.logs.exchange.file ?? '')}`,
    '',
    'routes:',
    ...routes,
    '',
    "the functions call exactly the URLs the configuration names (issuers' JWKS and introspection endpoints,",
    "token endpoints, upstreams), on this machine or not; nothing else is started for them.",
    ...(stack.missingSecrets.length > 0 ? ['', `warning: the configuration names secrets the --secrets file does not hold: ${stack.missingSecrets.join(', ')}`] : []),
    '',
  ].join('\n');
}

/** `npm start -- --config FILE`: the user's configuration, no demo. */
async function startWithConfig(opts: StartOptions & { config: string }): Promise<void> {
  let printAccess = false;
  let stack: ConfiguredStack;
  try {
    // Both files are checked before anything starts (finding Lambda's Node may take a while the first time).
    loadConfigFile(opts.config);
    const secrets = opts.secrets === undefined ? {} : readSecretsFile(opts.secrets);
    const node = await functionNode();
    stack = await startConfiguredStack({ ...localGatewayOptions(opts, node, () => printAccess), configFile: opts.config, secrets });
    console.log(configuredBanner(stack, node));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CommandInputError) console.error(error.message);
    else if (error instanceof PortInUseError) console.error(`port ${error.port} is in use: pass --port <n>, or --port 0 for any free port`);
    else console.error(`the local gateway did not start: ${(error as Error).message}`);
    process.exit(1);
  }
  stopOnSignals(() => stack.stop());
  console.log('Requests to the gateway are listed below. Ctrl-C stops everything.\n');
  printAccess = true;
}

/** Lambda's major version for the containers (scripts/lambda-node.ts); this Node, with a warning, when it cannot be had. */
async function functionNode(): Promise<LambdaNode> {
  const lookup = await findLambdaNode();
  if (lookup.ok) return lookup.node;
  console.error(`warning: the functions run on this Node ${process.version}, not Lambda's Node ${LAMBDA_NODE_MAJOR}: ${lookup.reason}`);
  return { execPath: process.execPath, version: process.version };
}

function banner(stack: LocalStack, seconds: number, node: LambdaNode): string {
  const api = API_DESCRIPTIONS[stack.flavour];
  const ttl = stack.gateway.authorizerCacheTtlSeconds;
  const rows: [string, string, string][] = [
    ['gateway', stack.urls.gateway, 'local API Gateway → authorizer and exchange Lambdas (esbuild bundles, one process per container)'],
    ['partner IdP', stack.urls.partner, "oidc-provider: issues the callers' tokens"],
    ['corporate AS', stack.urls.corp, 'oidc-provider with the RFC 8693 token exchange grant'],
    ['legacy SSO', stack.urls.legacy, 'RFC 7662 introspection of opaque tokens'],
    ['Entra tenant', stack.urls.entra, 'Entra ID stand-in: On-Behalf-Of (RFC 7523 jwt-bearer), AADSTS errors'],
    ['upstream', stack.urls.upstream, 'echo: shows the request it received, token claims decoded'],
    ['MCP server', stack.urls.mcpServer, 'an MCP server built with @modelcontextprotocol/sdk, behind the route /mcp'],
    ['DynamoDB', stack.urls.dynamodb, `dynalite, table ${stack.dynamo.tableName}`],
    ['Secrets Manager', stack.urls.secretsManager, 'loopback GetSecretValue: client secrets and cache key'],
    ['control', stack.urls.control, 'demo tokens (npm run token), faults, function restarts'],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    `gatepass local stack is up in ${seconds.toFixed(1)} s (${api}; authorizer cache ${ttl === 0 ? 'off' : `${ttl} s`})`,
    nodeLine(node),
    '',
    ...rows.map(([name, url, what]) => `  ${name.padEnd(width)}  ${url.padEnd(22)}  ${what}`),
    `  ${'configuration'.padEnd(width)}  ${show(stack.configFile)}`,
    `  ${'function logs'.padEnd(width)}  ${show(stack.logs.authorizer.file ?? '')}, ${show(stack.logs.exchange.file ?? '')}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  // The loopback servers' own SDK clients run here on the local Node; the functions' containers keep the warning in their logs.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const opts = options();
  if (opts.config !== undefined) return startWithConfig({ ...opts, config: opts.config });
  let printAccess = false;
  const node = await functionNode();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      ...localGatewayOptions(opts, node, () => printAccess),
      controlPort: opts.controlPort,
      stateFile: process.env[LOCAL_STATE_FILE_ENV] || join(opts.dir, 'state.json'),
    });
  } catch (error) {
    if (error instanceof PortInUseError) {
      const option = error.role === 'gateway' ? '--port' : '--control-port';
      console.error(`port ${error.port} is in use (another npm start?): pass ${option} <n>, or ${option} 0 for any free port (npm start -- ${option} 0)`);
    } else console.error('the local stack did not start:', error);
    process.exit(1);
  }

  stopOnSignals(() => stack.stop());

  const results: StepResult[] = [];
  try {
    for (const step of walkthroughSteps(stack.flavour)) results.push(await runStep(step, stack));
  } catch (error) {
    console.error('the walkthrough could not run against the local stack:', error);
    await stack.stop();
    process.exit(1);
  }
  const walkthrough = renderWalkthrough(stack, results);
  console.log(banner(stack, performance.now() / 1000, node));
  console.log('Walkthrough: paste these into a second terminal, in this folder. Each step was just run;');
  console.log('the arrow shows what came back (curl -i prints the status line, the headers and the body).\n');
  console.log(walkthrough.text);
  if (walkthrough.mismatches.length > 0) console.log(`!! ${walkthrough.mismatches.length} step(s) did not answer as expected\n`);
  console.log('Requests to the gateway are listed below. Ctrl-C stops everything.\n');
  printAccess = true;
}

void main();
