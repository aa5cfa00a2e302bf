import type { GatepassConfig, RouteConfig, SameIssuerWhen } from '../config/config-schema.js';
import { audiencesOf, clientIdOf, scopesOf } from '../claims.js';
import { AuthorizerAction } from '../contracts/authorizer-context.js';
import { ErrorCode, GatepassError } from '../errors.js';

/**
 * What the route checks and the authorizer context read from a validated token, derived
 * once per token (and kept with it in the verified-token memo), so a repeated token costs
 * no claim parsing. The checks themselves still run on every request.
 */
export interface TokenFacts {
  readonly issuerKey: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly scopes: ReadonlySet<string>;
  /** The scopes in the token's order, as the context carries them. */
  readonly scope: readonly string[];
  readonly audiences: readonly string[];
  readonly subject: string;
  readonly clientId: string;
  /** `exp` in whole epoch seconds (0 when absent, as for some introspection answers). */
  readonly expiresAt: number;
}

export function tokenFactsOf(issuerKey: string, claims: Readonly<Record<string, unknown>>): TokenFacts {
  const scopes = scopesOf(claims);
  const sub = claims['sub'];
  const exp = claims['exp'];
  return {
    issuerKey,
    claims,
    scopes: new Set(scopes),
    scope: scopes,
    audiences: audiencesOf(claims),
    subject: typeof sub === 'string' ? sub : '',
    clientId: clientIdOf(claims),
    expiresAt: typeof exp === 'number' ? Math.floor(exp) : 0,
  };
}

/**
 * The route's own checks, run on every request (also for memoised tokens). An MCP route also
 * needs its resource in `aud` (RFC 8707; MCP authorization spec, "Token Audience Binding and
 * Validation"), compared as an exact string like every `aud` value (RFC 7519 §4.1.3): a
 * trailing-slash variant names another resource. Checked before the scopes: a token meant
 * for another server is a 401, never a 403 that would invite a scope step-up.
 */
export function assertRouteAccepts(route: RouteConfig, token: TokenFacts): void {
  if (!route.acceptedIssuers.includes(token.issuerKey)) throw new GatepassError(ErrorCode.IssuerNotAccepted, 'issuer not accepted on this route');
  if (route.mcp !== undefined && !token.audiences.includes(route.mcp.resource)) {
    throw new GatepassError(ErrorCode.AudienceNotAccepted, "the token's audience does not name this MCP server's resource");
  }
  for (const scope of route.requiredScopes) {
    if (!token.scopes.has(scope)) throw new GatepassError(ErrorCode.InsufficientScope, 'a required scope is missing');
  }
}

function sameIssuerConditionsMatch(when: SameIssuerWhen, token: TokenFacts): boolean {
  const { scopes, audiences } = token;
  return (
    when.hasScopes.every((s) => scopes.has(s)) &&
    !when.missingScopes.some((s) => scopes.has(s)) &&
    (when.hasAudience.length === 0 || when.hasAudience.some((a) => audiences.includes(a))) &&
    !when.missingAudience.some((a) => audiences.includes(a))
  );
}

/**
 * The classification (docs/design.md "Request path"): a token from another issuer than the route's target
 * authorization server is always exchanged; a same-issuer token is exchanged
 * (downscoped) when the route lists `forbiddenClaims` (the caller's own token cannot be
 * proven free of them, so it never passes through) or when `sameIssuerWhen` is present and
 * matches; otherwise, and on routes without an `exchange` block, the original token passes through.
 */
export function classify(config: GatepassConfig, route: RouteConfig, token: TokenFacts): AuthorizerAction {
  const exchange = route.exchange;
  if (!exchange) return AuthorizerAction.Passthrough;
  const target = config.authorizationServers[exchange.authorizationServer];
  const issuer = config.issuers[token.issuerKey];
  if (!target || !issuer || issuer.issuer !== target.issuer) return AuthorizerAction.Exchange;
  if (exchange.forbiddenClaims.length > 0) return AuthorizerAction.Exchange;
  if (!exchange.sameIssuerWhen) return AuthorizerAction.Passthrough;
  return sameIssuerConditionsMatch(exchange.sameIssuerWhen, token) ? AuthorizerAction.Exchange : AuthorizerAction.Passthrough;
}
