import type { RouteConfig } from '../functions/shared/config/config-schema.js';
import { gatewayRoutesOf, type GatewayRoute, type RouteGuard } from '../functions/shared/config/gateway-routes.js';

/**
 * The API routes the constructs create: `gatewayRoutesOf` (the list the local gateway uses too),
 * each method and path once. Two MCP routes on one path (say `GET /mcp` and `POST /mcp`) share
 * one metadata path, and an API holds a route key (HTTP) or a resource's method (REST) once;
 * the first owner names it, and the exchange function answers it by path either way.
 */
export function apiRoutesOf(routes: readonly RouteConfig[]): GatewayRoute[] {
  const seen = new Set<string>();
  return gatewayRoutesOf({ routes: [...routes] }).filter((route) => {
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Why a route without an API Gateway authorizer is acceptable, by who guards it instead. */
const UNAUTHENTICATED_ROUTE_REASONS: Record<Exclude<RouteGuard, 'authorizer'>, string> = {
  function:
    'An MCP route (routes[].mcp): the integration, the gatepass exchange function, validates the bearer token itself ' +
    '(same validation code and rules as the authorizer, plus the resource in aud) before anything reaches the upstream, ' +
    'because only an integration can answer 401 with the WWW-Authenticate resource_metadata challenge the MCP spec requires ' +
    '(docs/deploy.md "MCP routes").',
  none:
    'The protected resource metadata of an MCP route (RFC 9728 section 3): public by design, since an MCP client reads it ' +
    'before it has a token; the exchange function answers it from the configuration alone and never calls the upstream.',
};

/** A cdk-nag acknowledgement for exactly one route gatepass leaves without an API Gateway authorizer. */
export function unauthenticatedRouteAcknowledgement(id: string, guard: Exclude<RouteGuard, 'authorizer'>): { id: string; reason: string } {
  return { id, reason: UNAUTHENTICATED_ROUTE_REASONS[guard] };
}
