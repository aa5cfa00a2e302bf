import type { GatepassConfig } from '../shared/config/config-schema.js';
import { extractBearerToken } from '../shared/bearer-token.js';
import { clientIdOf, scopesOf } from '../shared/claims.js';
import { ErrorCode, GatepassError } from '../shared/errors.js';
import { ExpiringLru } from '../shared/expiring-lru.js';
import { RouteMatcher } from '../shared/route-matcher.js';
import { sha256Hex } from '../shared/token-id.js';
import { parseAuthorizerEvent, type AuthorizerRequest } from './authorizer-event.js';
import { allowResult, denyResult, type AuthorizerContext, type AuthorizerResult } from './authorizer-response.js';
import { IntrospectionClient, IntrospectionUnavailableError, type SecretReader } from './introspection-client.js';
import { checkTimes, JwtValidator } from './jwt-validator.js';
import { decomposeJwt, hasJwsShape } from './jwt-structure.js';
import { assertRouteAccepts, classify, type Action } from './route-policy.js';

/** One authorizer decision, as logged and counted. */
export interface Decision {
  readonly outcome: 'allow' | ErrorCode;
  readonly status: number;
  readonly format: string;
  readonly route?: string;
  readonly issuer?: string;
  readonly action?: Action;
  readonly tokenId?: string;
  readonly subject?: string;
  /** Where the validation came from: jwt, memo, introspection, introspection-cache. */
  readonly via?: string;
  /** Why, in words, for operators; never contains the token. */
  readonly reason?: string;
}

/** Where decisions and operational events go (Powertools in the handler, a recorder in tests). */
export interface AuthorizerTelemetry {
  decision(decision: Decision): void;
  jwksFetched(uri: string, keys: number, ignored: number): void;
  jwksFailed(uri: string, error: Error): void;
  introspectionFailed(issuer: string, error: Error): void;
}

export interface AuthorizerDependencies {
  readonly telemetry: AuthorizerTelemetry;
  readonly readSecret: SecretReader;
  readonly now?: () => number;
}

interface ValidatedToken {
  readonly issuerKey: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly via: string;
}

interface MemoEntry {
  readonly issuerKey: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * The authorizer's logic, independent of Lambda: event in, API Gateway answer out.
 * Built once per container (JWKS cache, memo and connections live here).
 */
export class Authorizer {
  private readonly matcher: RouteMatcher;
  private readonly jwt: JwtValidator;
  private readonly introspection: IntrospectionClient;
  private readonly memo: ExpiringLru<MemoEntry>;
  private readonly now: () => number;

  constructor(
    private readonly config: GatepassConfig,
    private readonly deps: AuthorizerDependencies,
  ) {
    this.now = deps.now ?? Date.now;
    this.matcher = new RouteMatcher(config);
    this.jwt = new JwtValidator(config, {
      now: this.now,
      observer: { fetched: deps.telemetry.jwksFetched.bind(deps.telemetry), failed: deps.telemetry.jwksFailed.bind(deps.telemetry) },
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
    let partial: Partial<Decision> = {};
    try {
      const route = request.route;
      if (!route) throw new GatepassError(ErrorCode.GatewayMisconfigured, 'the request matches no configured route');
      partial = { route: route.id };
      if (request.tokenInQuery) throw new GatepassError(ErrorCode.TokenMalformed, 'access_token in the query string is refused (RFC 6750 §2.3)');
      const token = extractBearerToken(request.authorization, this.config.settings.maxTokenLength);
      const hash = sha256Hex(token);
      const tokenId = hash.slice(0, 32);
      partial = { ...partial, tokenId };

      const validated = await this.validate(token, hash, request);
      partial = { ...partial, issuer: validated.issuerKey, via: validated.via };
      assertRouteAccepts(route, validated.issuerKey, validated.claims);
      const action = classify(this.config, route, validated.issuerKey, validated.claims);

      const claims = validated.claims;
      const context: AuthorizerContext = {
        route: route.id,
        action,
        issuer: validated.issuerKey,
        subject: typeof claims['sub'] === 'string' ? claims['sub'] : '',
        clientId: clientIdOf(claims),
        scope: scopesOf(claims).join(' '),
        expiresAt: typeof claims['exp'] === 'number' ? Math.floor(claims['exp']) : 0,
        tokenId,
      };
      this.deps.telemetry.decision({ ...partial, outcome: 'allow', status: 200, format: request.format, action, subject: context.subject });
      return allowResult(request, route, context);
    } catch (error) {
      if (!(error instanceof GatepassError)) throw error;
      const status = error.code === ErrorCode.GatewayMisconfigured ? 403 : error.status;
      this.deps.telemetry.decision({ ...partial, outcome: error.code, status, format: request.format, reason: error.message });
      return denyResult(request, status, error.code);
    }
  }

  private async validate(token: string, hash: string, request: AuthorizerRequest): Promise<ValidatedToken> {
    const route = request.route!;
    const nowSeconds = this.now() / 1000;
    const skew = this.config.settings.clockSkewSeconds;

    const memo = this.memo.get(hash);
    if (memo) {
      checkTimes(memo.claims, nowSeconds, skew);
      return { ...memo, via: 'memo' };
    }

    if (hasJwsShape(token)) {
      const jwt = decomposeJwt(token);
      const issuerKey = this.jwt.issuerKeyOf(jwt.payload.iss);
      if (issuerKey !== undefined) {
        // Checked before any key lookup: an issuer foreign to the route costs no fetch.
        if (!route.acceptedIssuers.includes(issuerKey)) throw new GatepassError(ErrorCode.IssuerNotAccepted, 'issuer not accepted on this route');
        const claims = await this.jwt.verify(jwt);
        const maxAgeMs = this.config.settings.verifiedTokenMemo.maxAgeSeconds * 1000;
        const exp = claims.exp as number;
        this.memo.set(hash, { issuerKey, claims }, Math.min(this.now() + maxAgeMs, (exp + skew) * 1000));
        return { issuerKey, claims, via: 'jwt' };
      }
      // A JWT from an issuer that only introspects goes to introspection below;
      // any other issuer is unknown and costs nothing.
      if (!this.introspectingIssuer(route.acceptedIssuers)) throw new GatepassError(ErrorCode.IssuerNotAccepted, 'JWT issuer is not configured');
    }

    const issuerKey = this.introspectingIssuer(route.acceptedIssuers);
    if (!issuerKey) throw new GatepassError(ErrorCode.TokenMalformed, 'not a JWT, and no issuer on this route introspects opaque tokens');
    try {
      const { claims, cached } = await this.introspection.introspect(issuerKey, token);
      return { issuerKey, claims, via: cached ? 'introspection-cache' : 'introspection' };
    } catch (error) {
      if (error instanceof IntrospectionUnavailableError) {
        this.deps.telemetry.introspectionFailed(issuerKey, error);
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
