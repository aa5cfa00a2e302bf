import type { GatepassConfig, RouteConfig } from '../shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../shared/errors.js';
import type { ActorResolver } from './policy/actor-resolver.js';
import { AuthorizerAction, type AuthorizerContext } from '../shared/contracts/authorizer-context.js';
import { decisionFields, type ExchangeAudit, type ExchangeDecision } from './audit/exchange-audit.js';
import type { ExchangeCache } from './cache/exchange-cache.js';
import { CacheLayer } from '../shared/contracts/metric-names.js';
import type { ActorToken, CacheKeyTuple, ExchangeRequest, IssuedToken } from './exchange-model.js';
import { unverifiedClaimsOf } from './policy/jwt-claims.js';
import { narrowingFlowOf } from './policy/scope-narrowing.js';
import { ExchangeDeniedError } from './token-endpoint/token-endpoint-errors.js';
import { authorizedRequest, bearerTokenOf, parseProxyShape, proxyEventVersion, type ProxyEventOptions, type ProxyRequest, type ProxyShape } from './proxy/proxy-event.js';
import { isListenStreamRequest, mcpChallenge, McpRequestKind, McpRoutes, refuseListenStream, type McpTarget } from './mcp/mcp-routes.js';
import { authorizeRoute } from '../shared/token-validation/route-authorization.js';
import type { TokenValidation } from '../shared/token-validation/token-validation.js';
import { errorCodeOf, problemResultForError, proxyResult, type ProxyResult } from './proxy/proxy-result.js';
import { RouteBinding } from './proxy/route-binding.js';
import type { LogSink } from '../shared/telemetry/telemetry-sinks.js';
import type { UpstreamForwarder, UpstreamResponse } from './forwarding/upstream-forwarder.js';
import { queryCarriesAccessToken } from '../shared/bearer-token.js';

/** The collaborators of the exchange Lambda, built once per container. */
export interface ExchangeServiceParts {
  readonly config: GatepassConfig;
  readonly tokenClient: { exchange(request: ExchangeRequest): Promise<IssuedToken> };
  readonly actors: Pick<ActorResolver, 'resolve'>;
  readonly cache: Pick<ExchangeCache, 'getOrExchange' | 'evict' | 'flush'>;
  readonly forwarder: Pick<UpstreamForwarder, 'forward'>;
  readonly audit: Pick<ExchangeAudit, 'record'>;
  readonly log?: Pick<LogSink, 'error'>;
  /**
   * Token validation for the routes this function guards itself (MCP routes); required when
   * the configuration has any, unused otherwise.
   */
  readonly validation?: Pick<TokenValidation, 'validate'>;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

/** What one exchange produced, for the forwarder and the audit line. */
interface Exchanged {
  readonly accessToken: string;
  readonly layer: CacheLayer;
  readonly grantedScope: readonly string[];
}

/**
 * The exchange Lambda's logic: proxy event in, proxy result out. Reads the authorizer's
 * decision (or, on an MCP route, decides itself with the authorizer's code and answers the
 * route's protected resource metadata), gets the upstream's token (memory → DynamoDB → token endpoint), forwards
 * the request and answers with the upstream's answer, or a problem+json refusal.
 * Writes exactly one `exchange.decision` audit line per request.
 */
export class ExchangeService {
  private readonly binding: RouteBinding;
  private readonly mcp: McpRoutes;
  private readonly eventOptions: ProxyEventOptions;
  private readonly now: () => number;

  constructor(private readonly parts: ExchangeServiceParts) {
    this.binding = new RouteBinding(parts.config);
    this.mcp = new McpRoutes(parts.config);
    // A deployment fault: MCP routes would be refused one by one; fail at init instead.
    if (this.mcp.any && !parts.validation) throw new Error('the configuration has MCP routes: the exchange service needs a TokenValidation');
    this.now = parts.now ?? Date.now;
    const { maxTokenLength, clockSkewSeconds } = parts.config.settings;
    this.eventOptions = { maxTokenLength, clockSkewSeconds, now: this.now };
  }

  /** `deadline`: epoch ms by which the answer must be complete (from the Lambda's remaining time). */
  async handle(event: unknown, deadline?: number): Promise<ProxyResult> {
    const started = this.now();
    const version = proxyEventVersion(event);
    let audit: Partial<ExchangeDecision> = {};
    let mcp: McpTarget | undefined;
    const note = (fields: Partial<ExchangeDecision>) => (audit = { ...audit, ...fields });
    try {
      const shape = parseProxyShape(event);
      note({ requestId: shape.requestId, method: shape.method });
      mcp = this.mcp.targetOf(shape);
      if (mcp) note({ route: mcp.route.id, mcp: mcp.kind });
      if (mcp?.kind === McpRequestKind.Metadata) {
        const answer = this.mcp.metadataAnswer(mcp.route, shape.method);
        this.record(audit, 'ok', answer.status, started);
        return proxyResult(version, answer);
      }
      // An MCP route has no authorizer: the function validates, whatever context the event carries.
      const request = mcp ? await this.mcpRequest(shape, mcp.route, note) : authorizedRequest(shape, this.eventOptions);
      note(decisionFields(undefined, request.authorizer));
      const route = this.binding.routeOf(request);
      note(decisionFields(route, request.authorizer));
      if (mcp && isListenStreamRequest(request)) refuseListenStream(mcp.route);

      let upstream: UpstreamResponse;
      if (request.authorizer.action === AuthorizerAction.Passthrough) {
        upstream = await this.parts.forwarder.forward(route, request, { bearerToken: request.bearerToken, ...(deadline ? { deadline } : {}) });
      } else {
        upstream = await this.exchangeAndForward(route, request, deadline, note);
      }
      note({ upstreamStatus: upstream.status, upstreamLatencyMs: upstream.latencyMs });
      this.record(audit, 'ok', upstream.status, started);
      return proxyResult(version, upstream);
    } catch (error) {
      const code = errorCodeOf(error);
      const challenge = mcp?.kind === McpRequestKind.Resource ? mcpChallenge(mcp.route, code) : undefined;
      const result = problemResultForError(version, error, challenge);
      if (!(error instanceof GatepassError)) {
        // A bug or an unexpected library failure: the name and message, never the error object (it may hold a request).
        this.parts.log?.error('exchange.internal_error', { error: (error as Error).name, reason: (error as Error).message });
      }
      // A deployment mistake is the operator's to fix: the line says which one.
      if (code === ErrorCode.GatewayMisconfigured && error instanceof GatepassError) audit = { ...audit, reason: error.message };
      // A provider's refusal: what it said, in bounded fields (never its free text).
      if (error instanceof ExchangeDeniedError) audit = { ...audit, providerRefusal: error.refusal };
      // Why an issued token was refused: gatepass's own words about the server's answer, never token data.
      if ((code === ErrorCode.ExchangeNotNarrower || code === ErrorCode.ExchangeBadResponse) && error instanceof GatepassError) audit = { ...audit, reason: error.message };
      this.record(audit, code, result.statusCode ?? 500, started);
      return result;
    } finally {
      // The cache writes its table entry beside the upstream call; finish it before the
      // function returns, or Lambda could freeze the container with the write pending.
      await this.parts.cache.flush();
    }
  }

  /**
   * An MCP route's request, validated here with the authorizer's own decision code
   * (authorizeRoute), into the same ProxyRequest an authorizer-guarded route yields.
   */
  private async mcpRequest(shape: ProxyShape, route: RouteConfig, note: (fields: Partial<ExchangeDecision>) => void): Promise<ProxyRequest> {
    const validation = this.parts.validation;
    if (!validation) throw new GatepassError(ErrorCode.GatewayMisconfigured, 'an MCP route reached an exchange function built without token validation');
    const { context: ignored, ...parts } = shape;
    void ignored;
    if (queryCarriesAccessToken(parts.rawQueryString)) throw new GatepassError(ErrorCode.TokenMalformed, 'access_token in the query string is refused (RFC 6750 §2.3)');
    const bearerToken = bearerTokenOf(parts, this.parts.config.settings.maxTokenLength);
    // authorizeRoute reports the tokenId, issuer and `via` to the decision line as it learns them.
    const allowed = await authorizeRoute(this.parts.config, validation, route, bearerToken, note);
    return { ...parts, authorizer: allowed.context, bearerToken };
  }

  private async exchangeAndForward(
    route: RouteConfig,
    request: ProxyRequest,
    deadline: number | undefined,
    note: (fields: Partial<ExchangeDecision>) => void,
  ): Promise<UpstreamResponse> {
    const exchange = route.exchange;
    if (!exchange) throw new GatepassError(ErrorCode.GatewayMisconfigured, `the authorizer asked for an exchange on route ${route.id}, which has none`);
    const context = request.authorizer;
    const narrowingFlow = narrowingFlowOf(exchange.flow, this.isSameIssuer(context, exchange.authorizationServer));
    note({ narrowingFlow });
    const subjectClaims = unverifiedClaimsOf(request.bearerToken);
    const actor = await this.parts.actors.resolve({
      actor: exchange.actor,
      authorizationServer: exchange.authorizationServer,
      headers: Object.fromEntries(request.headers),
      subjectClaims,
    });
    const exchangeRequest: ExchangeRequest = {
      authorizationServer: exchange.authorizationServer,
      subjectToken: request.bearerToken,
      subjectTokenType: exchange.subjectTokenType,
      audience: exchange.audience,
      resource: exchange.resource,
      scope: exchange.scope,
      requestedTokenType: exchange.requestedTokenType,
      ...(actor ? { actor } : {}),
      ...(narrowingFlow === 'downscoping' ? { subjectScopes: context.scope } : {}),
      ...(exchange.forbiddenClaims.length > 0 ? { forbiddenClaims: exchange.forbiddenClaims } : {}),
    };
    // Routes that check more than the request names keep their own cache entries.
    const policy = [
      ...(exchange.flow !== undefined ? [`flow:${narrowingFlow}`] : []),
      ...exchange.forbiddenClaims.map((claim) => `forbidden:${claim}`),
    ];
    const tuple: CacheKeyTuple = {
      subjectToken: request.bearerToken,
      authorizationServer: exchange.authorizationServer,
      audience: exchange.audience,
      resource: exchange.resource,
      scope: exchange.scope,
      requestedTokenType: exchange.requestedTokenType,
      actor: actorCacheIdentity(exchange.actor.source, exchange.authorizationServer, actor),
      ...(policy.length > 0 ? { policy } : {}),
    };

    const exchangeOnce = async (): Promise<Exchanged> => {
      const { token, layer } = await this.parts.cache.getOrExchange(tuple, context.expiresAt, async () => {
        const issued = await this.parts.tokenClient.exchange(exchangeRequest);
        // Known only when this request exchanged: a cached token was checked when it was issued.
        note({
          ...(issued.verification !== undefined ? { issuedTokenVerified: issued.verification } : {}),
          ...(issued.identityScopes !== undefined && issued.identityScopes.length > 0 ? { identityScopesIgnored: issued.identityScopes } : {}),
          ...(issued.defaultScopeResources !== undefined ? { defaultScopeResources: issued.defaultScopeResources } : {}),
        });
        return issued;
      });
      note({ cacheLayer: layer, grantedScope: token.scope });
      return { accessToken: token.accessToken, layer, grantedScope: token.scope };
    };
    const forward = (token: string) => this.parts.forwarder.forward(route, request, { bearerToken: token, ...(deadline ? { deadline } : {}) });

    const first = await exchangeOnce();
    const answer = await forward(first.accessToken);
    if (!answer.tokenRejected || first.layer === CacheLayer.Miss) return answer;
    // The upstream refused a token from the cache (revoked, or its keys rotated):
    // drop it, exchange afresh, and try once more. A fresh token that is refused too
    // is the upstream's answer to give.
    await this.parts.cache.evict(tuple);
    note({ reExchanged: true });
    const second = await exchangeOnce();
    return forward(second.accessToken);
  }

  private isSameIssuer(context: AuthorizerContext, authorizationServer: string): boolean {
    const issuer = this.parts.config.issuers[context.issuer];
    const server = this.parts.config.authorizationServers[authorizationServer];
    return issuer !== undefined && server !== undefined && issuer.issuer === server.issuer;
  }

  private record(fields: Partial<ExchangeDecision>, outcome: ExchangeDecision['outcome'], status: number, started: number): void {
    this.parts.audit.record({ ...fields, outcome, status, latencyMs: this.now() - started });
  }
}

/**
 * The actor part of the cache key. A `gateway` actor is the gateway itself, whichever of
 * its own short-lived tokens stood for it: keying on that token would empty the cache at
 * each of its refreshes. A `header` actor is whoever that token names, so its token is
 * the key.
 */
export function actorCacheIdentity(source: string, authorizationServer: string, actor: ActorToken | undefined): string {
  if (!actor) return '';
  if (source === 'gateway') return `gateway:${authorizationServer}`;
  return `token:${actor.token}`;
}
