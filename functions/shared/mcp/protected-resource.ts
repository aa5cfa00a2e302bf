import type { GatepassConfig, McpConfig, RouteConfig } from '../config/config-schema.js';

/** RFC 9728 §3: the well-known URI suffix of protected resource metadata. */
const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** A route that protects an MCP server. */
export type McpRoute = RouteConfig & { readonly mcp: McpConfig };

export function isMcpRoute(route: RouteConfig): route is McpRoute {
  return route.mcp !== undefined;
}

/**
 * The API path that serves a route's metadata: the well-known prefix inserted before the
 * route's path (RFC 9728 §3.1), `/mcp` → `/.well-known/oauth-protected-resource/mcp`.
 */
export function metadataPathOf(route: Pick<RouteConfig, 'path'>): string {
  return route.path === '/' ? PROTECTED_RESOURCE_WELL_KNOWN : `${PROTECTED_RESOURCE_WELL_KNOWN}${route.path}`;
}

/**
 * The public URL of a route's metadata, for `WWW-Authenticate: Bearer resource_metadata="…"`.
 * The resource's path ends with the route's path (the validator checks it); what comes before is
 * the API's base (a REST stage such as `/prod`, or a custom domain's base path mapping), kept so
 * the URL reaches the API. With no base it is exactly RFC 9728's well-known location.
 */
export function resourceMetadataUrl(route: McpRoute): string {
  const resource = new URL(route.mcp.resource);
  const base = basePathOf(resource.pathname, route.path) ?? '';
  return `${resource.origin}${base}${metadataPathOf(route)}`;
}

/**
 * What precedes the route's path in the resource's path, or undefined when the resource's path
 * does not end with it. A trailing slash on the resource is not significant.
 */
export function basePathOf(resourcePath: string, routePath: string): string | undefined {
  const path = resourcePath.length > 1 && resourcePath.endsWith('/') ? resourcePath.slice(0, -1) : resourcePath;
  if (routePath === '/') return path === '/' ? '' : path;
  if (!path.endsWith(routePath)) return undefined;
  const base = path.slice(0, path.length - routePath.length);
  return base === '' || base.startsWith('/') ? base : undefined;
}

/** The protected resource metadata document (RFC 9728 §2) of an MCP route. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly bearer_methods_supported: readonly ['header'];
  readonly resource_name?: string;
}

/**
 * The document, from configuration only: `authorization_servers` are the `issuer` URLs of the
 * route's accepted issuers (the servers whose tokens it takes), nothing else.
 */
export function protectedResourceMetadata(config: Pick<GatepassConfig, 'issuers'>, route: McpRoute): ProtectedResourceMetadata {
  const servers = route.acceptedIssuers.flatMap((key) => {
    const issuer = config.issuers[key];
    return issuer ? [issuer.issuer] : [];
  });
  return {
    resource: route.mcp.resource,
    authorization_servers: servers,
    ...(route.mcp.scopesSupported !== undefined ? { scopes_supported: route.mcp.scopesSupported } : {}),
    bearer_methods_supported: ['header'],
    ...(route.mcp.resourceName !== undefined ? { resource_name: route.mcp.resourceName } : {}),
  };
}
