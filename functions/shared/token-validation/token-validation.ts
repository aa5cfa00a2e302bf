import type { GatepassConfig, RouteConfig } from '../config/config-schema.js';
import { ErrorCode, GatepassError } from '../errors.js';
import { ExpiringLru } from '../expiring-lru.js';
import type { SecretReader } from '../secrets/secret-reader.js';
import { IntrospectionClient, IntrospectionUnavailableError } from './introspection-client.js';
import type { JwksObserver } from './jwks-source.js';
import { checkTimes, JwtValidator } from './jwt-validator.js';
import { decomposeJwt, hasJwsShape } from './jwt-structure.js';
import { tokenFactsOf, type TokenFacts } from './route-policy.js';

export interface TokenValidationOptions {
  readonly readSecret: SecretReader;
  /** JWKS fetches and their failures, for the owner's log and metrics. */
  readonly jwksObserver?: JwksObserver;
  /** An introspection endpoint that could not answer (the token is then refused as invalid). */
  readonly introspectionFailed?: (issuerKey: string, error: IntrospectionUnavailableError) => void;
  readonly now?: () => number;
}

export interface ValidatedToken {
  readonly facts: TokenFacts;
  /** Where the validation came from: jwt, memo, introspection, introspection-cache. */
  readonly via: string;
}

/**
 * Validation of a bearer token for one route (docs/design.md "Request path"): a JWT
 * against its configured issuer's JWKS, an opaque token by the route's introspecting issuer,
 * with a memo of verified JWTs. One home for these rules: the authorizer uses it for every
 * route it guards, the exchange function for the routes it guards itself (MCP routes).
 * Built once per container: the JWKS cache, the memo and connections live here.
 * Refusals are `GatepassError`s (401 codes); the route's scope and audience checks are the caller's.
 */
export class TokenValidation {
  private readonly jwt: JwtValidator;
  private readonly introspection: IntrospectionClient;
  private readonly memo: ExpiringLru<TokenFacts>;
  private readonly now: () => number;

  constructor(
    private readonly config: GatepassConfig,
    private readonly options: TokenValidationOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.jwt = new JwtValidator(config, { now: this.now, ...(options.jwksObserver ? { observer: options.jwksObserver } : {}) });
    this.introspection = new IntrospectionClient(config, options.readSecret, this.now);
    this.memo = new ExpiringLru(config.settings.verifiedTokenMemo.maxEntries, this.now);
  }

  /**
   * `hash`: the token's SHA-256 in hex (the memo key; callers compute it once for the tokenId too).
   * A remembered token skips only the signature check; its time claims are checked again.
   */
  async validate(token: string, hash: string, route: RouteConfig): Promise<ValidatedToken> {
    const remembered = this.memo.get(hash);
    if (remembered) {
      checkTimes(remembered.claims, this.now() / 1000, this.config.settings.clockSkewSeconds);
      return { facts: remembered, via: 'memo' };
    }
    return this.validateAfresh(token, hash, route);
  }

  private async validateAfresh(token: string, hash: string, route: RouteConfig): Promise<ValidatedToken> {
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
      const { claims, cached } = await this.introspection.introspect(introspecting, token, hash);
      const facts = tokenFactsOf(introspecting, claims);
      const via = cached ? 'introspection-cache' : 'introspection';
      if (typeof claims['exp'] === 'number') return { facts, via };
      // RFC 7662 makes `exp` optional. The context still needs an end: the horizon this
      // answer is trusted for (its cache TTL, at least a minute), so that the exchange
      // Lambda's expiry check bounds a cached API Gateway allow too.
      const ttl = Math.max(60, this.config.issuers[introspecting]?.introspection?.cacheTtlSeconds ?? 0);
      return { facts: { ...facts, expiresAt: Math.floor(this.now() / 1000) + ttl }, via };
    } catch (error) {
      if (error instanceof IntrospectionUnavailableError) {
        this.options.introspectionFailed?.(introspecting, error);
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
