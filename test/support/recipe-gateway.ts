/**
 * Runs a provider recipe (docs/providers/<provider>.md) as gatepass would run it: the one
 * `json` configuration block of the page is read from the Markdown, validated as written, then
 * moved onto loopback (every origin the recipe names becomes a local server: a replay token
 * endpoint and a JWKS per identity provider, the echo upstream for upstreams) and served by
 * the real authorizer and the real exchange handler module (functions/exchange/handler.ts:
 * TokenExchangeClient, ExchangeService, memory cache), with client secrets read through the
 * loopback Secrets Manager. A recipe that stops matching the schema or the runtime fails its
 * provider test.
 *
 *   const gateway = await startRecipeGateway('keycloak', { 'gatepass/keycloak': { client_id: 'gatepass', client_secret: 's' } });
 *   gateway.answerTokens('keycloak', (request) => replayJson(200, { ... }));
 *   const result = await gateway.call('orders-read', await gateway.host('https://keycloak.example.com').mint({ ... }));
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { MIN_FORCED_REREAD_INTERVAL_MS } from '../../functions/exchange/token-endpoint/client-secrets.js';
import { Authorizer } from '../../functions/authorizer/authorizer.js';
import { DECISION_EVENT as AUTHORIZER_DECISION } from '../../functions/authorizer/authorizer-audit.js';
import type { EncodedAuthorizerContext } from '../../functions/shared/contracts/authorizer-context.js';
import { parseConfig, validateConfig } from '../../functions/shared/config/config-validator.js';
import type { GatepassConfig } from '../../functions/shared/config/config-schema.js';
import { startEchoUpstream, type EchoedRequest, type EchoUpstream } from '../../fakes/echo-upstream.js';
import { JwksServer } from '../../fakes/jwks-server.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../fakes/secrets-manager-server.js';
import { httpApiEvent } from './authorizer-events.js';
import { staticSecrets } from './authorizer-harness.js';
import { captureOutput, type CapturedOutput } from './captured-output.js';
import { proxyEventV2 } from './proxy-events.js';
import { RecordingSinks } from './recording-sinks.js';
import { startReplayServer, type ReplayedRequest, type ReplayServer, type Responder } from './provider-replay-server.js';
import { generateTestKey, mintJwt, type MintOptions, type TestKey } from './token-minter.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The recipe page's path in the repository. */
const recipePath = (provider: string): string => `docs/providers/${provider}.md`;

/** The Markdown of a recipe page. */
export function recipeMarkdown(provider: string): string {
  return readFileSync(`${root}${recipePath(provider)}`, 'utf8');
}

/** The page's fenced `json` blocks (a recipe has exactly one: its configuration). */
export function jsonBlocksOf(markdown: string): string[] {
  return [...markdown.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** The recipe's configuration exactly as the page shows it; throws unless the page has one block the schema and validator accept. */
function recipeDocument(provider: string): Record<string, unknown> {
  const blocks = jsonBlocksOf(recipeMarkdown(provider));
  if (blocks.length !== 1) throw new Error(`${recipePath(provider)} has ${blocks.length} json blocks; a recipe has exactly one`);
  const document = JSON.parse(blocks[0]!) as Record<string, unknown>;
  const result = validateConfig(document);
  if (!result.ok) throw new Error(`${recipePath(provider)}: the configuration is refused: ${JSON.stringify(result.issues)}`);
  return document;
}

/** One identity provider of the recipe, on loopback. */
export interface ProviderHost {
  /** The origin the recipe names, e.g. `https://keycloak.example.com`. */
  readonly documentedOrigin: string;
  readonly replay: ReplayServer;
  /** Serves `key`'s public JWK; every `jwksUri` at this origin points here. */
  readonly jwks: JwksServer;
  readonly key: TestKey;
  /** A JWT signed with `key` (claims as given; `iss` is not added). */
  mint(claims: Record<string, unknown>, options?: MintOptions): Promise<string>;
}

export interface GatewayCall {
  /** The HTTP status the caller gets (403 when the authorizer refused, as API Gateway answers it). */
  readonly status: number;
  /** Why gatepass refused: the problem+json `code`, or the authorizer's decision outcome. */
  readonly code?: string;
  readonly authorized: boolean;
  /** What reached the upstream, when something did. */
  readonly forwarded?: EchoedRequest;
  /** The `exchange.decision` line of this call. */
  readonly decision?: Record<string, unknown>;
  /** Every log line the exchange handler wrote during this call. */
  readonly lines: readonly Record<string, unknown>[];
}

export interface RecipeGateway {
  /** The configuration as the page shows it. */
  readonly recipe: Record<string, unknown>;
  /** The configuration gatepass runs (loopback URLs). */
  readonly config: GatepassConfig;
  readonly upstream: EchoUpstream;
  readonly secrets: SecretsManagerServer;
  readonly output: CapturedOutput;
  /** The loopback host standing for an origin the recipe names. */
  host(documentedOrigin: string): ProviderHost;
  /** The loopback form of a URL the recipe names (issuers, token endpoints, upstreams). */
  local(url: string): string;
  /** Sets how an authorization server's token endpoint answers. */
  answerTokens(authorizationServer: string, responder: Responder): void;
  /** Requests gatepass sent to an authorization server's token endpoint. */
  tokenRequests(authorizationServer: string): ReplayedRequest[];
  /** A request with this bearer token on a route of the recipe, through the authorizer and the exchange handler. */
  call(routeId: string, token: string): Promise<GatewayCall>;
  stop(): Promise<void>;
}

type Handler = (event: unknown) => Promise<{ statusCode: number; body?: string; headers?: Record<string, string> }>;

/** Every distinct origin among the recipe's identity provider URLs, and among its upstreams. */
function originsOf(document: Record<string, unknown>): { identity: string[]; upstream: string[] } {
  const identity = new Set<string>();
  for (const section of ['issuers', 'authorizationServers'] as const) {
    for (const entry of Object.values((document[section] ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const field of ['issuer', 'jwksUri', 'tokenEndpoint']) {
        const value = entry[field];
        if (typeof value === 'string') identity.add(new URL(value).origin);
      }
      const introspection = entry['introspection'] as { endpoint?: string } | undefined;
      if (introspection?.endpoint) identity.add(new URL(introspection.endpoint).origin);
    }
  }
  const upstream = new Set((document['routes'] as { upstream: string }[]).map((r) => new URL(r.upstream).origin));
  return { identity: [...identity], upstream: [...upstream].filter((o) => !identity.has(o)) };
}

/** Replaces documented origins in every string of a JSON value. */
function relocate(value: unknown, move: (text: string) => string): unknown {
  if (typeof value === 'string') return move(value);
  if (Array.isArray(value)) return value.map((v) => relocate(v, move));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocate(v, move)]));
  return value;
}

/** `/orders/{id}` → `/orders/42`, `{proxy+}` → `a/b` (as authorizer-events.ts fills templates). */
function concrete(template: string): { path: string; parameters: Record<string, string> } {
  const parameters: Record<string, string> = {};
  const path = template
    .replace(/\{([A-Za-z0-9_]+)\+\}/g, (_, name: string) => ((parameters[name] = 'a/b'), 'a/b'))
    .replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => ((parameters[name] = '42'), '42'));
  return { path, parameters };
}

/**
 * Starts the recipe's gateway. `secretValues`: the client secret of each `clientSecretId` the
 * recipe names, as stored in Secrets Manager. Short exchange timeouts are merged under the recipe's own.
 */
export async function startRecipeGateway(provider: string, secretValues: Readonly<Record<string, object>>): Promise<RecipeGateway> {
  const recipe = recipeDocument(provider);
  const origins = originsOf(recipe);
  const hosts = new Map<string, ProviderHost>();
  for (const documentedOrigin of origins.identity) {
    const [replay, jwks, key] = await Promise.all([startReplayServer(), new JwksServer().start(), generateTestKey('RS256')]);
    jwks.behaviour = { keys: [key.publicJwk] };
    hosts.set(documentedOrigin, { documentedOrigin, replay, jwks, key, mint: (claims, options) => mintJwt(key, claims, options) });
  }
  const upstream = await startEchoUpstream();
  const local = (text: string): string => {
    for (const [origin, host] of hosts) if (text === origin || text.startsWith(`${origin}/`)) return host.replay.origin + text.slice(origin.length);
    for (const origin of origins.upstream) if (text === origin || text.startsWith(`${origin}/`)) return upstream.url + text.slice(origin.length);
    return text;
  };

  const moved = relocate(recipe, local) as Record<string, unknown>;
  // Keys come from the JWKS stand-in of the same provider.
  for (const section of ['issuers', 'authorizationServers'] as const) {
    for (const [key, entry] of Object.entries((recipe[section] ?? {}) as Record<string, Record<string, unknown>>)) {
      if (typeof entry['jwksUri'] !== 'string') continue;
      const host = hosts.get(new URL(entry['jwksUri']).origin)!;
      ((moved[section] as Record<string, Record<string, unknown>>)[key]!)['jwksUri'] = host.jwks.jwksUri;
    }
  }
  const settings = (moved['settings'] ?? {}) as Record<string, Record<string, unknown>>;
  const document = {
    ...moved,
    insecureLoopbackHttp: true,
    settings: { ...settings, exchange: { connectTimeoutMs: 500, requestTimeoutMs: 2000, deadlineMs: 4000, maxAttempts: 2, ...settings['exchange'] } },
  };
  const config = parseConfig(document);

  const secrets = await startSecretsManagerServer(secretValues);
  const savedEnv = { ...process.env };
  Object.assign(process.env, secrets.env, { GATEPASS_CONFIG: JSON.stringify(document) });
  delete process.env['GATEPASS_CACHE_TABLE'];
  delete process.env['GATEPASS_CACHE_KEY_SECRET_ID'];
  const output = captureOutput();
  vi.resetModules();
  const handler = ((await import('../../functions/exchange/handler.js')) as { handler: Handler }).handler;
  const authorizerSinks = new RecordingSinks();
  const authorizer = new Authorizer(config, { log: authorizerSinks.log, metrics: authorizerSinks.metrics, readSecret: staticSecrets({}) });

  const serverOf = (key: string) => {
    const server = config.authorizationServers[key];
    if (!server) throw new Error(`the recipe has no authorization server ${key}`);
    const url = new URL(server.tokenEndpoint);
    const host = [...hosts.values()].find((h) => h.replay.origin === url.origin)!;
    return { host, path: url.pathname };
  };

  return {
    recipe,
    config,
    upstream,
    secrets,
    output,
    host: (documentedOrigin) => {
      const host = hosts.get(documentedOrigin);
      if (!host) throw new Error(`the recipe names no ${documentedOrigin}`);
      return host;
    },
    local,
    answerTokens: (key, responder) => {
      const { host, path } = serverOf(key);
      host.replay.answer(path, responder);
    },
    tokenRequests: (key) => {
      const { host, path } = serverOf(key);
      return host.replay.requestsTo(path);
    },
    async call(routeId, token) {
      const route = config.routes.find((r) => r.id === routeId);
      if (!route) throw new Error(`the recipe has no route ${routeId}`);
      const method = route.method === 'ANY' ? 'GET' : route.method;
      // An HTTP API authorizer refuses with isAuthorized: false; anything it throws is a defect and fails the test.
      const allowed = (await authorizer.handle(httpApiEvent({ method, path: route.path, authorization: `Bearer ${token}` }))) as { isAuthorized: boolean; context?: EncodedAuthorizerContext };
      if (!allowed.isAuthorized || !allowed.context) {
        const outcome = authorizerSinks.fieldsOf(AUTHORIZER_DECISION).at(-1)?.['outcome'];
        return { status: 403, authorized: false, lines: [], ...(typeof outcome === 'string' ? { code: outcome } : {}) };
      }
      const seen = upstream.requests.length;
      const linesBefore = output.records().length;
      const { path, parameters } = concrete(route.path);
      const result = await handler(
        proxyEventV2({ method, resource: route.path, path, pathParameters: parameters, headers: { authorization: `Bearer ${token}` }, context: allowed.context }),
      );
      const lines = output.records().slice(linesBefore);
      const decision = lines.findLast((r) => r['message'] === 'exchange.decision');
      let code: string | undefined;
      if (result.statusCode >= 400 && result.body) {
        try {
          code = (JSON.parse(result.body) as { code?: string }).code;
        } catch {
          code = undefined;
        }
      }
      return {
        status: result.statusCode,
        authorized: true,
        lines,
        ...(code !== undefined ? { code } : {}),
        ...(upstream.requests.length > seen ? { forwarded: upstream.requests.at(-1)! } : {}),
        ...(decision ? { decision } : {}),
      };
    },
    async stop() {
      output.restore();
      process.env = savedEnv;
      await Promise.all([upstream.close(), secrets.stop(), ...[...hosts.values()].flatMap((h) => [h.replay.stop(), h.jwks.stop()])]);
    },
  };
}

/**
 * Runs `step` with the clock moved past the interval between forced secret re-reads (at most one
 * per 10 s per secret, functions/exchange/token-endpoint/client-secrets.ts): the recipe gateway
 * is one warm container per file, so an earlier test's refusal may have forced a re-read moments
 * ago. Only `Date` is faked (it keeps running), so sockets and timeouts behave as usual.
 */
export async function afterForcedRereadInterval<T>(step: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  vi.setSystemTime(Date.now() + MIN_FORCED_REREAD_INTERVAL_MS);
  try {
    return await step();
  } finally {
    vi.useRealTimers();
  }
}

/** The bearer token an upstream received. */
export function forwardedToken(request: EchoedRequest | undefined): string | undefined {
  return /^Bearer (\S+)$/.exec(request?.headers['authorization']?.[0] ?? '')?.[1];
}
