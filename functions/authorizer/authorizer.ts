import type { GatepassConfig, RouteConfig } from '../shared/config/config-schema.js';
import { extractBearerToken } from '../shared/bearer-token.js';
import { ErrorCode, GatepassError } from '../shared/errors.js';
import { ExpiringLru } from '../shared/expiring-lru.js';
import { encodeAuthorizerContext } from '../shared/contracts/authorizer-context.js';
import { RouteMatcher } from '../shared/route-matcher.js';
import { sha256Hex } from '../shared/token-id.js';
import { parseAuthorizerEvent } from './authorizer-event.js';
import { allowResult, callerStatus, denyResult, type AuthorizerResult } from './authorizer-response.js';
import type { SecretReader } from '../shared/secrets/secret-reader.js';
import { IntrospectionClient, IntrospectionUnavailableError } from './introspection-client.js';
import { checkTimes, JwtValidator } from './jwt-validator.js';
import { decomposeJwt, hasJwsShape } from './jwt-structure.js';
import { assertRouteAccepts, classify, tokenFactsOf, type TokenFacts } from './route-policy.js';
import { AuthorizerAudit, type Decision } from './authorizer-audit.js';
import type { LogSink, MetricSink } from '../shared/telemetry/telemetry-sinks.js';

export interface AuthorizerDependencies {
  /** Where the decision line and operational events go (Powertools in the handler, a recorder in tests). */
  readonly log: LogSink;
  readonly metrics: MetricSink;
  readonly readSecret: SecretReader;
  readonly now?: () => number;
}

interface ValidatedToken {
  readonly facts: TokenFacts;
  readonly via: string;
}

/**
 * The authorizer's logic, independent of Lambda: event in, API Gateway answer out.
 * Built once per container (JWKS cache, memo and connections live here).
 */
export class Authorizer {
  private readonly matcher: RouteMatcher;
  private readonly jwt: JwtValidator;
  private readonly introspection: IntrospectionClient;
  private readonly memo: ExpiringLru<TokenFacts>;
  private readonly audit: AuthorizerAudit;
  private readonly now: () => number;

  constructor(
    private readonly config: GatepassConfig,
    deps: AuthorizerDependencies,
  ) {
    this.now = deps.now ?? Date.now;
    this.audit = new AuthorizerAudit(deps.log, deps.metrics);
    this.matcher = new RouteMatcher(config);
    this.jwt = new JwtValidator(config, {
      now: this.now,
      observer: { fetched: this.audit.jwksFetched.bind(this.audit), failed: this.audit.jwksFailed.bind(this.audit) },
    });
    this.introspection = new IntrospectionClient(config, deps.readSecret, this.now);
    this.memo = new ExpiringLru(config.settings.verifiedTokenMemo.maxEntries, this.now);
  }

  /**
   * Decide on one event. Resolves to the API Gateway answer, or rejects with the REST
   * "Unauthorized" signal (401). Anything else that rejects is a gatepass bug or an
   * unsupported event: API Gateway answers 500 and nothing is allowed.
   */
  async handle(event: unknown): Promise<AuthorizerResult> {
    const request = parseAuthorizerEvent(event, this.matcher);
    // What the decision line can say so far; filled in as the request gets further.
    let route: string | undefined;
    let tokenId: string | undefined;
    let issuer: string | undefined;
    let via: string | undefined;
    try {
      const matched = request.route;
      if (!matched) {
        throw new GatepassError(
          ErrorCode.GatewayMisconfigured,
          request.defaultRoute
            ? 'the HTTP API $default route is not supported: configure the routes gatepass protects (ANY /{proxy+} catches every path), see docs/configuration.md'
            : 'the request matches no configured route',
        );
      }
      route = matched.id;
      if (request.tokenInQuery) throw new GatepassError(ErrorCode.TokenMalformed, 'access_token in the query string is refused (RFC 6750 §2.3)');
      const token = extractBearerToken(request.authorization, this.config.settings.maxTokenLength);
      // One hash per request: the memo key, and (its first 32 hex characters) the tokenId.
      const hash = sha256Hex(token);
      tokenId = hash.slice(0, 32);

      // A remembered token skips only the signature check; its time claims are checked again,
      // and the route checks below run for it like for any other.
      const remembered = this.memo.get(hash);
      let validated: ValidatedToken;
      if (remembered) {
        checkTimes(remembered.claims, this.now() / 1000, this.config.settings.clockSkewSeconds);
        validated = { facts: remembered, via: 'memo' };
      } else {
        validated = await this.validate(token, hash, matched);
      }
      const facts = validated.facts;
      issuer = facts.issuerKey;
      via = validated.via;
      assertRouteAccepts(matched, facts);
      const action = classify(this.config, matched, facts);

      const context = encodeAuthorizerContext({
        route: matched.id,
        action,
        issuer: facts.issuerKey,
        subject: facts.subject,
        clientId: facts.clientId,
        scope: facts.scope,
        expiresAt: facts.expiresAt,
        tokenId,
      });
      this.audit.decision({ route, tokenId, issuer, via, outcome: 'allow', status: 200, format: request.format, action, subject: facts.subject });
      return allowResult(request, matched, context);
    } catch (error) {
      if (!(error instanceof GatepassError)) throw error;
      const status = error.code === ErrorCode.GatewayMisconfigured ? 403 : error.status;
      const known: Partial<Decision> = {
        ...(route !== undefined ? { route } : {}),
        ...(tokenId !== undefined ? { tokenId } : {}),
        ...(issuer !== undefined ? { issuer, via } : {}),
      };
      // The status the caller gets, beside the code: on an HTTP API every refusal is a 403.
      this.audit.decision({ ...known, outcome: error.code, status: callerStatus(request, status), format: request.format, reason: error.message });
      return denyResult(request, status, error.code);
    }
  }

  /** Full validation of a token the memo does not hold: JWT (then remembered) or introspection. */
  private async validate(token: string, hash: string, route: RouteConfig): Promise<ValidatedToken> {
    const skew = this.config.settings.clockSkewSeconds;
    const introspecting = this.introspectingIssuer(route.acceptedIssuers);
    if (hasJwsShape(token)) {
      const jwt = decomposeJwt(token);
      const issuerKey = this.jwt.issuerKeyOf(jwt.payload.iss);
      if (issuerKey !== undefined) {
        // Checked before any key lookup: an issuer foreign to the route costs no fetch.
        if (!route.acceptedIssuers.includes(issuerKey)) throw new GatepassError(ErrorCode.IssuerNotAccepted, 'issuer not accepted on this route');
        const claims = await this.jwt.verify(jwt);
        const facts = tokenFactsOf(issuerKey, claims);
        const maxAgeMs = this.config.settings.verifiedTokenMemo.maxAgeSeconds * 1000;
        const exp = claims.exp as number;
        this.memo.set(hash, facts, Math.min(this.now() + maxAgeMs, (exp + skew) * 1000));
        return { facts, via: 'jwt' };
      }
      // A JWT goes to introspection only when the route's introspecting issuer issued it:
      // another IdP's token is never handed to that IdP, and is refused with no network call.
      const iss = jwt.payload.iss;
      if (introspecting === undefined || iss === undefined || this.config.issuers[introspecting]?.issuer !== iss) {
        const configured = Object.values(this.config.issuers).some((issuer) => issuer.issuer === iss);
        throw new GatepassError(ErrorCode.IssuerNotAccepted, configured ? 'issuer not accepted on this route' : 'JWT issuer is not configured');
      }
    }

    if (!introspecting) throw new GatepassError(ErrorCode.TokenMalformed, 'not a JWT, and no issuer on this route introspects opaque tokens');
    try {
      const { claims, cached } = await this.introspection.introspect(introspecting, token);
      const facts = tokenFactsOf(introspecting, claims);
      if (typeof claims['exp'] === 'number') return { facts, via: cached ? 'introspection-cache' : 'introspection' };
      // RFC 7662 makes `exp` optional. The context still needs an end: the horizon this
      // answer is trusted for (its cache TTL, at least a minute), so that the exchange
      // Lambda's expiry check bounds a cached API Gateway allow too.
      const ttl = Math.max(60, this.config.issuers[introspecting]?.introspection?.cacheTtlSeconds ?? 0);
      return { facts: { ...facts, expiresAt: Math.floor(this.now() / 1000) + ttl }, via: cached ? 'introspection-cache' : 'introspection' };
    } catch (error) {
      if (error instanceof IntrospectionUnavailableError) {
        this.audit.introspectionFailed(introspecting, error);
        throw new GatepassError(ErrorCode.TokenInvalid, 'introspection failed', { cause: error });
      }
      throw error;
    }
  }

  /** The route's one introspecting issuer (the schema allows at most one per route). */
  private introspectingIssuer(accepted: readonly string[]): string | undefined {
    return accepted.find((key) => this.config.issuers[key]?.introspection !== undefined);
  }
}
