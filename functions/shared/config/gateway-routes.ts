import type { RouteConfig } from './config-schema.js';
import { isMcpRoute, metadataPathOf } from '../mcp/protected-resource.js';

/**
 * Who checks the token on an API route:
 * - `authorizer`: the Lambda authorizer, before the integration runs (every ordinary route);
 * - `function`: the exchange function itself, with the same validation code (MCP routes: an
 *   HTTP API authorizer can only refuse with a bare 403, and a REST API's thrown `Unauthorized`
 *   carries no context into its gateway response, so neither can send a per-route
 *   `WWW-Authenticate: Bearer resource_metadata="…"` challenge);
 * - `none`: a public route (MCP protected resource metadata, RFC 9728), answered without a token.
 */
export type RouteGuard = 'authorizer' | 'function' | 'none';

/** One route the API Gateway API needs for a configuration, all integrated with the exchange function. */
export interface GatewayRoute {
  /** The configured route it serves. */
  readonly routeId: string;
  readonly kind: 'route' | 'mcp-metadata';
  readonly method: RouteConfig['method'];
  readonly path: string;
  readonly guard: RouteGuard;
}

/**
 * The API routes of a configuration: one per configured route, plus a public `GET` metadata
 * route per MCP route. The CDK constructs and the local gateway both build from this list,
 * so they cannot disagree on what is public.
 */
export function gatewayRoutesOf(config: { readonly routes: readonly RouteConfig[] }): GatewayRoute[] {
  const routes: GatewayRoute[] = [];
  for (const route of config.routes) {
    if (isMcpRoute(route)) {
      routes.push({ routeId: route.id, kind: 'route', method: route.method, path: route.path, guard: 'function' });
      routes.push({ routeId: route.id, kind: 'mcp-metadata', method: 'GET', path: metadataPathOf(route), guard: 'none' });
    } else {
      routes.push({ routeId: route.id, kind: 'route', method: route.method, path: route.path, guard: 'authorizer' });
    }
  }
  return routes;
}
