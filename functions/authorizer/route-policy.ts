import type { GatepassConfig, RouteConfig, SameIssuerWhen } from '../shared/config/config-schema.js';
import { audiencesOf, scopesOf } from '../shared/claims.js';
import { ErrorCode, GatepassError } from '../shared/errors.js';

export const Action = {
  Exchange: 'exchange',
  Passthrough: 'passthrough',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

/** The route's own checks, run on every request (also for memoised tokens). */
export function assertRouteAccepts(route: RouteConfig, issuerKey: string, claims: Readonly<Record<string, unknown>>): void {
  if (!route.acceptedIssuers.includes(issuerKey)) throw new GatepassError(ErrorCode.IssuerNotAccepted, 'issuer not accepted on this route');
  if (route.requiredScopes.length > 0) {
    const granted = new Set(scopesOf(claims));
    if (!route.requiredScopes.every((s) => granted.has(s))) throw new GatepassError(ErrorCode.InsufficientScope, 'a required scope is missing');
  }
}

function sameIssuerConditionsMatch(when: SameIssuerWhen, claims: Readonly<Record<string, unknown>>): boolean {
  const scopes = new Set(scopesOf(claims));
  const audiences = audiencesOf(claims);
  return (
    when.hasScopes.every((s) => scopes.has(s)) &&
    !when.missingScopes.some((s) => scopes.has(s)) &&
    (when.hasAudience.length === 0 || when.hasAudience.some((a) => audiences.includes(a))) &&
    !when.missingAudience.some((a) => audiences.includes(a))
  );
}

/**
 * DESIGN.md classification: a token from another issuer than the route's target
 * authorization server is always exchanged; a same-issuer token is exchanged
 * (downscoped) only when `sameIssuerWhen` is present and matches; otherwise, and on
 * routes without an `exchange` block, the original token passes through.
 */
export function classify(config: GatepassConfig, route: RouteConfig, issuerKey: string, claims: Readonly<Record<string, unknown>>): Action {
  const exchange = route.exchange;
  if (!exchange) return Action.Passthrough;
  const target = config.authorizationServers[exchange.authorizationServer];
  const issuer = config.issuers[issuerKey];
  if (!target || !issuer || issuer.issuer !== target.issuer) return Action.Exchange;
  if (!exchange.sameIssuerWhen) return Action.Passthrough;
  return sameIssuerConditionsMatch(exchange.sameIssuerWhen, claims) ? Action.Exchange : Action.Passthrough;
}
