import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { vi } from 'vitest';
import { Authorizer } from '../../../functions/authorizer/authorizer.js';
import type { EncodedAuthorizerContext } from '../../../functions/shared/contracts/authorizer-context.js';
import { CacheKeys } from '../../../functions/exchange/cache/cache-key.js';
import type { CacheKeyTuple } from '../../../functions/exchange/exchange-model.js';
import { parseConfig } from '../../../functions/shared/config/config-validator.js';
import { TokenType } from '../../../functions/shared/config/config-schema.js';
import { httpApiEvent } from '../../support/authorizer-events.js';
import { silentLog, silentMetrics } from '../../../functions/shared/telemetry/telemetry-sinks.js';
import { startDynalite, type LocalDynamo } from '../../../fakes/dynalite.js';
import { startEchoUpstream, type EchoedRequest, type EchoResponder, type EchoUpstream } from '../../../fakes/echo-upstream.js';
import { JwksServer } from '../../../fakes/jwks-server.js';
import { startOAuthServer, type OAuthServer } from '../../../fakes/oauth-server/oauth-server.js';
import { CACHE_KEY_SECRET_ID, exchangeAwsEnv } from '../../support/exchange-aws.js';
import { proxyEventV1, proxyEventV2 } from '../../support/proxy-events.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../../fakes/secrets-manager-server.js';
import { closedPort } from '../../support/stalled-listener.js';
import { answers, startFaultServer, validTokenAnswer, type FaultAnswer, type FaultServer } from '../../support/token-endpoint-fault-server.js';
import { generateTestKey, signRaw, type TestKey } from '../../support/token-minter.js';
import { deepMerge } from './authorizer-kit.js';
import type { EgressRecorder } from './egress-recorder.js';

/**
 * The exchange side of the threat catalogue, end to end on 127.0.0.1: the real authorizer
 * decides, the real exchange handler module (a fresh import is a fresh Lambda container)
 * exchanges at a real oidc-provider (`corp`, and a lax one that over-grants) or at a
 * scriptable fault token endpoint (`fault`), caches in dynalite, reads secrets from the
 * loopback Secrets Manager and forwards to an echo upstream.
 *
 * The upstream checks every token it receives: a token of the route's authorization server
 * (signature, issuer, audience and scope within what the route asks for), a token the fault
 * server handed out as legitimate, or on a passthrough route the caller's validated token.
 * Anything else is recorded in `invalidForwards`, which must stay empty.
 */

export const PARTNER_ISSUER = 'https://idp.partner.example';
const FAULT_ISSUER = 'https://fault-as.example';
export const API_AUD = 'https://api.example.com';
export const ORDERS_RESOURCE = 'https://orders.example';
/** The MCP route's resource (RFC 8707): partner tokens for it name it in `aud` beside API_AUD. */
export const MCP_RESOURCE = `${API_AUD}/mcp`;
const CORP_SECRET = 'corp-client-secret-canary-5d1f';
export const FAULT_SECRET = 'fault-client-secret-canary-9a7c';
const CACHE_KEY = 'cache-key-material-canary-'.padEnd(64, 'q');
export const ACTOR_HEADER = 'X-Actor-Token';

export type Handler = (event: unknown) => Promise<{ statusCode?: number; headers?: Record<string, string>; body?: string; multiValueHeaders?: Record<string, string[]> }>;

/** A route of the kit's configuration: template, method and sample path parameters. */
export interface KitRoute {
  readonly id: string;
  readonly method: string;
  readonly resource: string;
  readonly params: Readonly<Record<string, string>>;
}

const route = (id: string, resource: string, params: Record<string, string> = { id: '42' }): KitRoute => ({ id, method: 'GET', resource, params });

export const ROUTES = {
  corpOrders: route('corp-orders', '/corp/orders/{id}'),
  corpAdmin: route('corp-admin', '/corp/admin/{id}'),
  corpItems: route('corp-items', '/corp/orders/{id}/items'),
  faultOrders: route('fault-orders', '/fault/orders/{id}'),
  faultOpen: route('fault-open', '/fault/open/{id}'),
  faultJwt: route('fault-jwt', '/fault/jwt/{id}'),
  faultDownscope: route('fault-downscope', '/fault/down/{id}'),
  laxOrders: route('lax-orders', '/lax/orders/{id}'),
  downOrders: route('down-orders', '/down/orders/{id}'),
  gatewayActor: route('gateway-actor', '/delegate/gateway/{id}'),
  headerActor: route('header-actor', '/delegate/header/{id}'),
  passthrough: route('pass', '/pass/{id}'),
  upstreamFaults: route('up-faults', '/upfault/{mode}', { mode: 'ok' }),
  upstreamDown: route('up-down', '/updown/{id}'),
  /** Guarded by the exchange function itself: no authorizer, no context (docs/design.md "MCP servers"). */
  mcp: { id: 'mcp', method: 'POST', resource: '/mcp', params: {} } as KitRoute,
} as const;

export interface ExchangeProbe {
  readonly route: string;
  readonly status: number;
  /** `ok` for an answer from the upstream, else the problem+json code. */
  readonly code: string;
  /** Requests the upstream received during this call. */
  readonly forwarded: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The answer's body (callMcp only: the metadata document). */
  readonly body?: string;
}

export interface CallOptions {
  readonly format?: 'v1' | 'v2';
  readonly headers?: Record<string, string>;
  /** v1 only: repeated headers. */
  readonly multiValueHeaders?: Record<string, string[]>;
  readonly params?: Record<string, string>;
  readonly handler?: Handler;
  /** Replace or edit the authorizer context (a cached or forged decision). */
  readonly context?: (context: EncodedAuthorizerContext) => EncodedAuthorizerContext | undefined;
  /** A decision made earlier (as API Gateway's authorizer cache hands it over): the authorizer is not asked. */
  readonly decided?: EncodedAuthorizerContext;
  /** Deliver the request on another route than the one the context was made for. */
  readonly deliverOn?: KitRoute;
}

export interface ContainerOptions {
  readonly settings?: Record<string, unknown>;
  readonly env?: Record<string, string | undefined>;
}

export class ExchangeKit {
  /** Tokens and secrets that must never reach a log line. */
  readonly secrets = new Set<string>([CORP_SECRET, FAULT_SECRET, CACHE_KEY]);
  /** Access tokens the fault server handed out as valid, per route id that may receive them. */
  readonly legit = new Set<string>();
  readonly invalidForwards: { route: string; reason: string }[] = [];
  /** Requests the upstream checked. */
  forwardsChecked = 0;
  /** A case may answer upstream requests itself (after the check). */
  caseResponder: EchoResponder | undefined;
  handler!: Handler;
  authorizer!: Authorizer;
  private document!: Record<string, unknown>;
  private readonly savedEnv = { ...process.env };

  private constructor(
    readonly egress: EgressRecorder,
    readonly partnerIdp: JwksServer,
    readonly partnerKey: TestKey,
    readonly faultIdp: JwksServer,
    readonly faultKey: TestKey,
    readonly attackerKey: TestKey,
    readonly corp: OAuthServer,
    readonly lax: OAuthServer,
    readonly fault: FaultServer,
    readonly attacker: JwksServer,
    readonly dynamo: LocalDynamo,
    readonly secretsManager: SecretsManagerServer,
    readonly echo: EchoUpstream,
    readonly downPort: number,
    readonly upstreamDownPort: number,
  ) {}

  static async start(egress: EgressRecorder): Promise<ExchangeKit> {
    const [partnerIdp, faultIdp, attacker, partnerKey, faultKey, attackerKey] = await Promise.all([
      new JwksServer().start(),
      new JwksServer().start(),
      new JwksServer().start(),
      generateTestKey('RS256', { kid: 'partner-rs' }),
      generateTestKey('ES256', { kid: 'fault-as-es' }),
      generateTestKey('RS256', { kid: 'partner-rs' }),
    ]);
    partnerIdp.behaviour = { keys: [partnerKey.publicJwk] };
    faultIdp.behaviour = { keys: [faultKey.publicJwk] };
    const trusted = [{ issuer: PARTNER_ISSUER, jwksUri: partnerIdp.jwksUri, audiences: [API_AUD] }];
    const clients = [{ clientId: 'gatepass', auth: 'client_secret_basic' as const, clientSecret: CORP_SECRET }];
    const ordersServer = { identifier: ORDERS_RESOURCE, audience: 'orders', scopes: ['orders:read', 'orders:admin'] };
    const [corp, lax, fault, dynamo, secretsManager, echo, downPort, upstreamDownPort] = await Promise.all([
      startOAuthServer({ trustedIssuers: trusted, clients, resourceServers: [ordersServer] }),
      startOAuthServer({ trustedIssuers: trusted, clients, resourceServers: [{ ...ordersServer, extraScopes: ['orders:admin', 'billing:write'] }] }),
      startFaultServer(),
      startDynalite(),
      startSecretsManagerServer({
        'gatepass/corp': { client_id: 'gatepass', client_secret: CORP_SECRET },
        'gatepass/fault': { client_id: 'gatepass-fault', client_secret: FAULT_SECRET },
        [CACHE_KEY_SECRET_ID]: CACHE_KEY,
      }),
      startEchoUpstream(),
      closedPort(),
      closedPort(),
    ]);
    const kit = new ExchangeKit(egress, partnerIdp, partnerKey, faultIdp, faultKey, attackerKey, corp, lax, fault, attacker, dynamo, secretsManager, echo, downPort, upstreamDownPort);
    for (const url of [partnerIdp.origin, faultIdp.origin, corp.issuer, lax.issuer, fault.origin, dynamo.endpoint, secretsManager.endpoint, echo.url]) egress.allow(url);
    egress.allow(downPort);
    egress.allow(upstreamDownPort);
    kit.resetFault();
    echo.respondWith(async (req, res, echoed) => {
      await kit.check(echoed);
      const responder = kit.caseResponder;
      return responder ? responder(req, res, echoed) : false;
    });
    kit.document = kit.configDocument();
    kit.authorizer = new Authorizer(parseConfig(kit.document), { log: silentLog, metrics: silentMetrics, readSecret: async () => '' });
    kit.handler = await kit.container();
    return kit;
  }

  async stop(): Promise<void> {
    process.env = { ...this.savedEnv };
    await Promise.all([
      this.partnerIdp.stop(),
      this.faultIdp.stop(),
      this.attacker.stop(),
      this.corp.stop(),
      this.lax.stop(),
      this.fault.stop(),
      this.dynamo.stop(),
      this.secretsManager.stop(),
      this.echo.close(),
    ]);
  }

  /** The fault server answers legitimately unless a case queues something else. */
  resetFault(): void {
    this.fault.reset();
    this.fault.fallback = () => this.faultAnswer();
  }

  configDocument(settings: Record<string, unknown> = {}): Record<string, unknown> {
    const up = (id: string) => `${this.echo.url}/up/${id}`;
    const ordersExchange = { audience: ['orders'], scope: ['orders:read'] };
    const base = {
      version: 1,
      insecureLoopbackHttp: true,
      issuers: {
        partner: { issuer: PARTNER_ISSUER, jwksUri: this.partnerIdp.jwksUri, audiences: [API_AUD] },
        corp: { issuer: this.corp.issuer, jwksUri: this.corp.jwksUri },
        faultIdp: { issuer: FAULT_ISSUER, jwksUri: this.faultIdp.jwksUri },
      },
      authorizationServers: {
        corp: { issuer: this.corp.issuer, tokenEndpoint: this.corp.tokenEndpoint, clientSecretId: 'gatepass/corp' },
        lax: { issuer: this.lax.issuer, tokenEndpoint: this.lax.tokenEndpoint, clientSecretId: 'gatepass/corp' },
        fault: { issuer: FAULT_ISSUER, tokenEndpoint: this.fault.tokenEndpoint, clientSecretId: 'gatepass/fault' },
        faultJwt: { issuer: 'https://fault-as-jwt.example', tokenEndpoint: this.fault.tokenEndpoint, clientAuth: 'private_key_jwt', clientSecretId: 'gatepass/fault-jwt' },
        down: { issuer: 'https://down.example', tokenEndpoint: `http://127.0.0.1:${this.downPort}/token`, clientSecretId: 'gatepass/fault' },
      },
      routes: [
        { id: 'corp-orders', method: 'GET', path: ROUTES.corpOrders.resource, upstream: up('corp-orders'), acceptedIssuers: ['partner', 'corp'], requiredScopes: ['orders:read'], exchange: { authorizationServer: 'corp', sameIssuerWhen: { hasScopes: ['orders:admin'] }, ...ordersExchange } },
        { id: 'corp-admin', method: 'GET', path: ROUTES.corpAdmin.resource, upstream: up('corp-admin'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'corp', audience: ['orders'], scope: ['orders:admin'] } },
        { id: 'corp-items', method: 'GET', path: ROUTES.corpItems.resource, upstream: up('corp-items'), acceptedIssuers: ['partner'], requiredScopes: ['orders:admin'], exchange: { authorizationServer: 'corp', ...ordersExchange } },
        { id: 'fault-orders', method: 'GET', path: ROUTES.faultOrders.resource, upstream: up('fault-orders'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'fault', audience: ['orders'], resource: [ORDERS_RESOURCE], scope: ['orders:read'] } },
        { id: 'fault-open', method: 'GET', path: ROUTES.faultOpen.resource, upstream: up('fault-open'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'fault' } },
        { id: 'fault-jwt', method: 'GET', path: ROUTES.faultJwt.resource, upstream: up('fault-jwt'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'faultJwt' } },
        { id: 'fault-downscope', method: 'GET', path: ROUTES.faultDownscope.resource, upstream: up('fault-downscope'), acceptedIssuers: ['faultIdp'], exchange: { authorizationServer: 'fault', sameIssuerWhen: { hasScopes: ['orders:admin'] } } },
        { id: 'lax-orders', method: 'GET', path: ROUTES.laxOrders.resource, upstream: up('lax-orders'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'lax', ...ordersExchange } },
        { id: 'down-orders', method: 'GET', path: ROUTES.downOrders.resource, upstream: up('down-orders'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'down', scope: ['orders:read'] } },
        { id: 'gateway-actor', method: 'GET', path: ROUTES.gatewayActor.resource, upstream: up('gateway-actor'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'corp', ...ordersExchange, actor: { source: 'gateway', enforceMayAct: true } } },
        { id: 'header-actor', method: 'GET', path: ROUTES.headerActor.resource, upstream: up('header-actor'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'corp', ...ordersExchange, actor: { source: 'header', header: ACTOR_HEADER, enforceMayAct: true } } },
        { id: 'pass', method: 'GET', path: ROUTES.passthrough.resource, upstream: up('pass'), acceptedIssuers: ['corp'] },
        { id: 'up-faults', method: 'GET', path: ROUTES.upstreamFaults.resource, upstream: up('up-faults'), acceptedIssuers: ['partner'], exchange: { authorizationServer: 'corp', ...ordersExchange } },
        {
          id: 'mcp',
          method: 'ANY',
          path: ROUTES.mcp.resource,
          upstream: up('mcp'),
          acceptedIssuers: ['partner'],
          requiredScopes: ['orders:read'],
          mcp: { resource: MCP_RESOURCE, scopesSupported: ['orders:read'] },
          exchange: { authorizationServer: 'corp', ...ordersExchange },
        },
        { id: 'up-down', method: 'GET', path: ROUTES.upstreamDown.resource, upstream: `http://127.0.0.1:${this.upstreamDownPort}/svc`, acceptedIssuers: ['partner'], exchange: { authorizationServer: 'corp', ...ordersExchange } },
      ],
      settings: {
        exchange: { connectTimeoutMs: 200, requestTimeoutMs: 400, deadlineMs: 1500, maxAttempts: 2, circuitBreaker: { failureThreshold: 100 } },
        cache: { tableTimeoutMs: 250 },
        upstream: { connectTimeoutMs: 200, timeoutMs: 700 },
      },
    };
    return deepMerge(base, { settings });
  }

  /** A fresh handler module, as a new Lambda container would load it. */
  async container(options: ContainerOptions = {}): Promise<Handler> {
    const document = options.settings ? this.configDocument(options.settings) : this.document;
    process.env = {
      ...this.savedEnv,
      ...exchangeAwsEnv(this.dynamo, this.secretsManager),
      GATEPASS_CONFIG: JSON.stringify(document),
    };
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
    vi.resetModules();
    return ((await import('../../../functions/exchange/handler.js')) as { handler: Handler }).handler;
  }

  /** Replaces the kit's default container (after a case that poisoned it, or to start clean). */
  async freshDefault(): Promise<void> {
    this.handler = await this.container();
  }

  /** A partner access token (what callers present), valid for the partner routes. */
  partnerToken(claims: Record<string, unknown> = {}, expiresIn = 600): string {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: PARTNER_ISSUER,
      sub: `user-${randomUUID().slice(0, 8)}`,
      aud: API_AUD,
      client_id: 'partner-app',
      scope: 'orders:read',
      iat: now - 5,
      exp: now + expiresIn,
      jti: randomUUID(),
      ...claims,
    };
    for (const [key, value] of Object.entries(payload)) if (value === undefined) Reflect.deleteProperty(payload, key);
    const token = signRaw(this.partnerKey, 'RS256', { alg: 'RS256', kid: this.partnerKey.kid, typ: 'at+jwt' }, payload);
    this.secrets.add(token);
    return token;
  }

  /** A token the fault authorization server issues (ES256), for its same-issuer route. */
  faultToken(claims: Record<string, unknown> = {}, expiresIn = 300): string {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { iss: FAULT_ISSUER, sub: 'alice', aud: 'orders', scope: 'orders:read', iat: now, exp: now + expiresIn, jti: randomUUID(), ...claims };
    for (const [key, value] of Object.entries(payload)) if (value === undefined) Reflect.deleteProperty(payload, key);
    const token = signRaw(this.faultKey, 'ES256', { alg: 'ES256', kid: this.faultKey.kid, typ: 'at+jwt' }, payload);
    this.secrets.add(token);
    return token;
  }

  /**
   * A token endpoint answer. `legit` answers are what a correct server would say for the
   * fault routes; their token is the only kind the upstream accepts from that server.
   */
  faultAnswer(overrides: Record<string, unknown> = {}, options: { legit?: boolean; claims?: Record<string, unknown> } = {}): FaultAnswer {
    const body = validTokenAnswer({ access_token: this.faultToken(options.claims), scope: 'orders:read', ...overrides });
    const token = body['access_token'];
    if (typeof token === 'string') {
      this.secrets.add(token);
      if (options.legit !== false) this.legit.add(token);
    }
    return answers.json(body);
  }

  /** The authorizer's context for a token on a route (the case fails if it is not allowed). */
  async contextFor(token: string, target: KitRoute): Promise<EncodedAuthorizerContext> {
    const result = (await this.authorizer.handle(httpApiEvent({ method: target.method, path: target.resource, authorization: `Bearer ${token}` }))) as {
      isAuthorized: boolean;
      context?: EncodedAuthorizerContext;
    };
    if (!result.isAuthorized || !result.context) throw new Error(`the authorizer refused the case's token on ${target.id}: the case is broken`);
    return result.context;
  }

  /** One request through API Gateway's eyes: authorizer context, proxy event, exchange handler. */
  async call(target: KitRoute, token: string, options: CallOptions = {}): Promise<ExchangeProbe> {
    const made = options.decided ?? (await this.contextFor(token, target));
    const context = options.context ? options.context(made) : made;
    const on = options.deliverOn ?? target;
    const params = options.params ?? on.params;
    const path = on.resource.replace(/\{(\w+)\+?\}/g, (_, name: string) => params[name] ?? 'x');
    const input = {
      method: on.method,
      resource: on.resource,
      path,
      pathParameters: params,
      headers: { authorization: `Bearer ${token}`, ...options.headers },
      context: (context ?? {}) as EncodedAuthorizerContext,
    };
    const event = options.format === 'v1' ? proxyEventV1(input) : proxyEventV2(input);
    if (context === undefined) {
      const rc = event['requestContext'] as Record<string, unknown>;
      Reflect.deleteProperty(rc, 'authorizer');
    }
    if (options.multiValueHeaders && options.format === 'v1') {
      event['multiValueHeaders'] = { ...(event['multiValueHeaders'] as object), ...options.multiValueHeaders };
    }
    const before = this.echo.requests.length;
    const result = await (options.handler ?? this.handler)(event);
    return this.probeOf(on.id, result, this.echo.requests.length - before);
  }

  /**
   * One request on an MCP route or its metadata route, as API Gateway delivers it there: no
   * authorizer ran, so the event has no context unless a case forges one. `token` undefined:
   * no Authorization header.
   */
  async callMcp(
    token: string | undefined,
    options: { format?: 'v1' | 'v2'; method?: string; resource?: string; headers?: Record<string, string>; context?: EncodedAuthorizerContext; query?: string } = {},
  ): Promise<ExchangeProbe> {
    const resource = options.resource ?? ROUTES.mcp.resource;
    const method = options.method ?? 'POST';
    const input = {
      method,
      routeMethod: resource === ROUTES.mcp.resource ? 'ANY' : 'GET',
      resource,
      path: resource,
      headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
      ...(method === 'POST' ? { body: Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}') } : {}),
      ...(options.context ? { context: options.context } : {}),
      ...(options.query ? { query: options.query } : {}),
    };
    const event = options.format === 'v1' ? proxyEventV1(input) : proxyEventV2(input);
    const before = this.echo.requests.length;
    const result = await this.handler(event);
    return { ...this.probeOf(ROUTES.mcp.id, result, this.echo.requests.length - before), body: result.body ?? '' };
  }

  probeOf(routeId: string, result: Awaited<ReturnType<Handler>>, forwarded: number): ExchangeProbe {
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    let code = 'ok';
    if (headers['content-type'] === 'application/problem+json' && result.body) {
      code = String((JSON.parse(result.body) as { code?: unknown }).code);
    }
    return { route: routeId, status: result.statusCode ?? 200, code, forwarded, headers };
  }

  /** The cache tuple the handler builds for a route without an actor. */
  tupleFor(token: string, authorizationServer: string, exchange: { audience?: string[]; resource?: string[]; scope?: string[] }): CacheKeyTuple {
    return {
      subjectToken: token,
      authorizationServer,
      audience: exchange.audience ?? [],
      resource: exchange.resource ?? [],
      scope: exchange.scope ?? [],
      requestedTokenType: TokenType.AccessToken,
      actor: '',
    };
  }

  pkOf(tuple: CacheKeyTuple): string {
    return CacheKeys.fromMaterial(CACHE_KEY).pkOf(tuple);
  }

  /** The upstream's own check of the token it received. */
  private async check(echoed: EchoedRequest): Promise<void> {
    this.forwardsChecked += 1;
    const routeId = echoed.path.split('/')[2] ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(echoed.headers['authorization']?.[0] ?? '');
    const fail = (reason: string) => void this.invalidForwards.push({ route: routeId, reason });
    if (!match) return fail('no bearer token');
    const token = match[1]!;
    this.secrets.add(token);
    try {
      if (routeId.startsWith('fault-')) {
        if (!this.legit.has(token)) return fail('not a token the fault server issued as valid');
        if (token.split('.').length === 3) await jwtVerify(token, createLocalJWKSet({ keys: [this.faultKey.publicJwk] }), { issuer: FAULT_ISSUER });
        return;
      }
      if (routeId === 'pass') {
        await this.corp.verify(token);
        return;
      }
      const server = routeId.startsWith('lax-') ? this.lax : this.corp;
      const claims = await server.verify(token);
      if (claims['aud'] !== 'orders') return fail(`aud ${String(claims['aud'])}`);
      const scopes = String(claims['scope'] ?? '').split(' ').filter(Boolean);
      const allowed = routeId === 'corp-admin' ? ['orders:admin'] : ['orders:read'];
      if (scopes.some((s) => !allowed.includes(s))) return fail(`scope ${scopes.join(' ')}`);
    } catch (error) {
      fail(`verification failed: ${(error as Error).name}`);
    }
  }
}
