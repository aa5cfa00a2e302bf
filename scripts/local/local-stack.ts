import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatepassConfig } from '../../functions/shared/config/config-schema.js';
import { startDynalite, type LocalDynamo } from '../../fakes/dynalite.js';
import { startEchoUpstream, type EchoUpstream } from '../../fakes/echo-upstream.js';
import { startEntraServer, type EntraServer } from '../../fakes/entra-server.js';
import { JwksServer } from '../../fakes/jwks-server.js';
import { startMcpServer, type LocalMcpServer } from '../../fakes/mcp-server.js';
import type { OAuthServer, OAuthServerOptions } from '../../fakes/oauth-server/oauth-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../fakes/secrets-manager-server.js';
import { ControlServer } from './control-server.js';
import { DEMO, demoConfig, demoMcpResource } from './demo-config.js';
import { DemoTokenIssuer, OpaqueTokenStore } from './demo-tokens.js';
import { FunctionLogs } from './function-logs.js';
import type { ApiFlavour } from './gateway-events.js';
import { openFunctionLogs, startGatepassFunctions, type LocalGatewayOptions } from './gatepass-functions.js';
import { LocalFunction } from './lambda-environment.js';
import type { LambdaFunction } from './lambda-function.js';
import type { LocalGateway } from './local-gateway.js';
import { writeState, removeState, type LocalStackState } from './local-state.js';
import { reservePort } from './port-reservation.js';
import { SwitchableRelay } from './switchable-relay.js';
import { echoViewResponder } from './upstream-echo-view.js';

/**
 * The whole flow on 127.0.0.1, in one process tree: dynalite with the cache table, the
 * loopback Secrets Manager with the demo client secrets and cache key, a partner IdP and
 * the corporate authorization server (both oidc-provider; the latter with the RFC 8693
 * grant), a legacy SSO that introspects opaque tokens, an Entra-style tenant answering
 * On-Behalf-Of (RFC 7523 jwt-bearer, fakes/entra-server.ts), the echo upstream, an MCP server
 * (fakes/mcp-server.ts) behind the MCP route, both functions
 * bundled as deployed and run in their own processes, and the local API Gateway in front.
 * `npm start` and the end-to-end tests both start it through `startLocalStack`.
 */
export interface LocalStackOptions extends LocalGatewayOptions {
  /** Control endpoint port; default 0. */
  readonly controlPort?: number;
  /** Written when given, removed at stop: how `npm run token` finds this stack. */
  readonly stateFile?: string;
}

export interface LocalStackUrls {
  readonly gateway: string;
  readonly control: string;
  readonly partner: string;
  readonly corp: string;
  readonly legacy: string;
  /** The Entra-style tenant's v2.0 issuer. */
  readonly entra: string;
  readonly upstream: string;
  readonly dynamodb: string;
  readonly secretsManager: string;
  /** The relay the configuration's corporate token endpoint goes through. */
  readonly tokenRelay: string;
  /** The MCP server's Streamable HTTP endpoint, behind the gateway's /mcp. */
  readonly mcpServer: string;
}

/** The demo MCP client's registration at the corporate AS (random secret per start): what `npm run mcp-client` uses. */
export interface DemoMcpClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The corporate AS's issuer, where the client's credentials may be sent. */
  readonly issuer: string;
  /** The scope it asks for. */
  readonly scope: string;
}

export interface LocalStack {
  readonly flavour: ApiFlavour;
  readonly urls: LocalStackUrls;
  readonly config: GatepassConfig;
  readonly configFile: string;
  readonly gateway: LocalGateway;
  readonly functions: Readonly<Record<LocalFunction, LambdaFunction>>;
  readonly logs: Readonly<Record<LocalFunction | 'stack', FunctionLogs>>;
  readonly tokens: DemoTokenIssuer;
  readonly echo: EchoUpstream;
  readonly partner: OAuthServer;
  readonly corp: OAuthServer;
  readonly entra: EntraServer;
  readonly mcp: LocalMcpServer;
  readonly mcpClient: DemoMcpClient;
  readonly tokenRelay: SwitchableRelay;
  readonly dynamo: LocalDynamo;
  readonly secrets: SecretsManagerServer;
  /** Milliseconds: the whole start, and the bundling within it. */
  readonly timings: { readonly startMs: number; readonly buildMs: number };
  stop(): Promise<void>;
}

const secret = () => randomBytes(24).toString('base64url');

/**
 * oidc-provider warns on stderr when imported on Node 20 and when it uses its in-memory
 * adapter: both true and expected here, so they go to the stack's log, not the terminal.
 */
async function withProviderWarningsTo<T>(logs: FunctionLogs, run: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (text.includes('oidc-provider')) logs.write(text);
    else warn(...args);
  };
  try {
    return await run();
  } finally {
    console.warn = warn;
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const started = performance.now();
  const flavour = options.flavour ?? 'http';
  // Before anything is written: a stack already running in workDir keeps its configuration, bundles and logs.
  const gatewayPort = await reservePort(options.gatewayPort ?? 0, 'gateway');
  const controlPort = await reservePort(options.controlPort ?? 0, 'control').catch(async (error: unknown) => {
    await gatewayPort.release();
    throw error;
  });
  const logs = { ...openFunctionLogs(options), stack: new FunctionLogs('stack', { file: join(options.workDir, 'logs', 'stack.log') }) };
  const cleanups: (() => Promise<void> | void)[] = [() => gatewayPort.release(), () => controlPort.release()];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logs.stack.write(`stop: ${(error as Error).message}`);
      }
    }
    await Promise.all(Object.values(logs).map((l) => l.close()));
  };

  try {
    const { startOAuthServer } = await withProviderWarningsTo(logs.stack, () => import('../../fakes/oauth-server/oauth-server.js'));
    const startOAuth = (o: OAuthServerOptions) => withProviderWarningsTo(logs.stack, () => startOAuthServer(o));
    const credentials = { partnerApp: secret(), gateway: secret(), corpApp: secret(), introspection: secret(), entraObo: secret(), mcpClient: secret() };
    const gatewayOrigin = `http://127.0.0.1:${gatewayPort.port}`;

    const [dynamo, secrets, echo, legacyServer, partner, mcp] = await Promise.all([
      startDynalite(),
      startSecretsManagerServer({
        [DEMO.secrets.corpExchange]: { client_id: DEMO.gatewayClientId, client_secret: credentials.gateway },
        [DEMO.secrets.legacyIntrospection]: { client_id: DEMO.legacyIntrospectionClientId, client_secret: credentials.introspection },
        [DEMO.secrets.cacheKey]: randomBytes(48).toString('base64url'),
        [DEMO.secrets.entraObo]: { client_id: DEMO.entra.gatewayAppId, client_secret: credentials.entraObo },
      }),
      startEchoUpstream({ responder: echoViewResponder }),
      new JwksServer().start(),
      startOAuth({
        clients: [{ clientId: DEMO.partnerClientId, auth: 'client_secret_basic', clientSecret: credentials.partnerApp }],
        resourceServers: [{ identifier: DEMO.partnerAudience, audience: DEMO.partnerAudience, scopes: [...DEMO.partnerScopes] }],
      }),
      startMcpServer(),
    ]);
    cleanups.push(
      () => dynamo.stop(),
      () => secrets.stop(),
      () => echo.close(),
      () => legacyServer.stop(),
      () => partner.stop(),
      () => mcp.stop(),
    );
    const corp = await startOAuth({
      trustedIssuers: [{ issuer: partner.issuer, jwksUri: partner.jwksUri, audiences: [DEMO.partnerAudience] }],
      clients: [
        { clientId: DEMO.gatewayClientId, auth: 'client_secret_basic', clientSecret: credentials.gateway },
        { clientId: DEMO.corpClientId, auth: 'client_secret_basic', clientSecret: credentials.corpApp },
        { clientId: DEMO.mcpClientId, auth: 'client_secret_basic', clientSecret: credentials.mcpClient },
      ],
      resourceServers: [
        { identifier: DEMO.ordersResource, audience: DEMO.ordersAudience, scopes: [...DEMO.ordersScopes] },
        // RFC 8707: a token requested with resource=<gatepass's /mcp> has that URI as its aud, as the MCP authorization spec requires.
        { identifier: demoMcpResource(gatewayOrigin), audience: demoMcpResource(gatewayOrigin), scopes: [...DEMO.mcpScopes] },
        { identifier: DEMO.mcpUpstreamResource, audience: DEMO.mcpUpstreamAudience, scopes: [...DEMO.mcpScopes] },
      ],
    });
    cleanups.push(() => corp.stop());
    const tokenRelay = await SwitchableRelay.start(Number(new URL(corp.issuer).port));
    cleanups.push(() => tokenRelay.stop());
    const entra = await startEntraServer({
      clients: [{ clientId: DEMO.entra.gatewayAppId, clientSecret: credentials.entraObo, displayName: 'gatepass', appIdUri: DEMO.entra.gatewayAppIdUri, consented: [...DEMO.entra.consented] }],
      apis: [{ appIdUri: DEMO.entra.ordersAppIdUri, clientId: DEMO.entra.ordersAppId, scopes: [...DEMO.entra.ordersScopes] }],
    });
    cleanups.push(() => entra.stop());

    const legacy = new OpaqueTokenStore(legacyServer.origin);
    const introspectionAuth = `Basic ${Buffer.from(`${DEMO.legacyIntrospectionClientId}:${credentials.introspection}`).toString('base64')}`;
    legacyServer.behaviour = {
      keys: [],
      introspect: (form, authorization) =>
        authorization === introspectionAuth ? { body: legacy.introspect(form.get('token')) } : { status: 401, body: { error: 'invalid_client' } },
    };

    const config = demoConfig({
      partner: { issuer: partner.issuer, jwksUri: partner.jwksUri },
      corp: { issuer: corp.issuer, jwksUri: corp.jwksUri, tokenEndpoint: `${tokenRelay.origin}/token` },
      legacy: { issuer: legacyServer.origin, introspectionEndpoint: legacyServer.introspectionEndpoint },
      entra: { issuer: entra.issuer, jwksUri: entra.jwksUri, tokenEndpoint: entra.tokenEndpoint },
      upstream: echo.url,
      gateway: gatewayOrigin,
      mcpUpstream: mcp.origin,
    });
    const configFile = join(options.workDir, 'gatepass.config.json');
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const { functions, gateway, buildMs } = await startGatepassFunctions(
      {
        ...options, // the caller's choices: authorizer cache TTL, containers, Node binary, access log
        config,
        configFile,
        flavour,
        endpoints: { dynamodb: dynamo.endpoint, secretsManager: secrets.endpoint },
        cacheTable: dynamo.tableName,
        cacheKeySecretId: DEMO.secrets.cacheKey,
        logs,
        gatewayPort,
      },
      (stop) => cleanups.push(stop),
    );

    const tokens = new DemoTokenIssuer({
      partner: { server: partner, clientId: DEMO.partnerClientId, clientSecret: credentials.partnerApp, audience: DEMO.partnerAudience },
      corp: { server: corp, clientId: DEMO.corpClientId, clientSecret: credentials.corpApp, audience: DEMO.ordersAudience },
      legacy,
      entra: { server: entra, audience: DEMO.entra.gatewayAppId, clientApp: DEMO.entra.portalAppId, user: DEMO.entra.user },
    });
    const urls: LocalStackUrls = {
      gateway: gateway.url,
      control: '',
      partner: partner.issuer,
      corp: corp.issuer,
      legacy: legacyServer.origin,
      entra: entra.issuer,
      upstream: echo.url,
      dynamodb: dynamo.endpoint,
      secretsManager: secrets.endpoint,
      tokenRelay: tokenRelay.origin,
      mcpServer: mcp.url,
    };
    const mcpClient: DemoMcpClient = { clientId: DEMO.mcpClientId, clientSecret: credentials.mcpClient, issuer: corp.issuer, scope: DEMO.mcpScopes.join(' ') };
    const control: ControlServer = new ControlServer({
      issueToken: (request) => tokens.issue(request),
      setTokenEndpoint: (state) => (state === 'down' ? tokenRelay.down() : tokenRelay.up()),
      restartFunction: async (name) => {
        const fn = functions[name as LocalFunction] as LambdaFunction | undefined;
        if (!fn) return false;
        await fn.restart();
        return true;
      },
      mcpClient: () => mcpClient,
      describe: (): Record<string, unknown> => ({ flavour, authorizerCacheTtlSeconds: gateway.authorizerCacheTtlSeconds, ...urls, control: control.url }),
    });
    await controlPort.release();
    await control.start(controlPort.port);
    cleanups.push(() => control.stop());
    const allUrls = { ...urls, control: control.url };

    if (options.stateFile) {
      const stateFile = options.stateFile;
      const state: LocalStackState = {
        version: 1,
        pid: process.pid,
        startedAt: new Date().toISOString(),
        flavour,
        gateway: gateway.url,
        control: control.url,
        configFile,
        functions: {
          authorizer: { name: functions.authorizer.name, ...pick(functions.authorizer) },
          exchange: { name: functions.exchange.name, ...pick(functions.exchange) },
        },
      };
      writeState(stateFile, state);
      cleanups.push(() => removeState(stateFile));
    }

    return {
      flavour,
      urls: allUrls,
      config,
      configFile,
      gateway,
      functions,
      logs,
      tokens,
      echo,
      partner,
      corp,
      entra,
      mcp,
      mcpClient,
      tokenRelay,
      dynamo,
      secrets,
      timings: { startMs: performance.now() - started, buildMs: buildMs },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function pick(fn: LambdaFunction) {
  const { taskRoot, runtimeFile, nodeExecPath, environment, timeoutSeconds } = fn.options;
  return { taskRoot, runtimeFile, ...(nodeExecPath !== undefined ? { nodeExecPath } : {}), environment, timeoutSeconds };
}
