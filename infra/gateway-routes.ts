import type { GatepassConfig, RouteConfig } from '../functions/shared/config/config-schema.js';
import { ConfigError, type ConfigIssue } from '../functions/shared/config/config-validator.js';
import type { RouteGuard } from '../functions/shared/config/gateway-routes.js';
import { basePathOf, isMcpRoute, metadataPathOf, resourceMetadataUrl, type McpRoute } from '../functions/shared/mcp/protected-resource.js';
import { corsIssues } from './cors-preflight.js';
import type { ApiType } from './deployment-settings.js';
import { restPathIssues } from './rest-api-paths.js';

/** "a REST API" or "an HTTP API", as refusals name what a configuration was judged for. */
export const apiTypeText = (apiType: ApiType): string => (apiType === 'rest' ? 'a REST API' : 'an HTTP API');

/**
 * What one API type refuses in the routes, beyond the configuration's own validation: a REST
 * API's resource tree (rest-api-paths.ts) and either type's CORS (cors-preflight.ts). Synth and
 * `config:check` both ask here, so they refuse the same things.
 */
export function apiTypeIssues(routes: readonly RouteConfig[], apiType: ApiType): ConfigIssue[] {
  return [...(apiType === 'rest' ? restPathIssues(routes) : []), ...corsIssues(routes, apiType)];
}

/** Throw a `ConfigError` naming every route `apiTypeIssues` refuses. */
export function assertApiTypeFits(routes: readonly RouteConfig[], apiType: ApiType): void {
  const issues = apiTypeIssues(routes, apiType);
  if (issues.length > 0) throw new ConfigError(issues, `configuration for ${apiTypeText(apiType)}`);
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

/** Who validates the token on a guard, as `config:check` prints it. */
const GUARD_TEXT: Record<RouteGuard, string> = {
  authorizer: 'the Lambda authorizer',
  function: 'the exchange function itself, no API Gateway authorizer',
  none: 'public, no token',
};

/** The MCP routes as `config:check` prints them: each with its guard, its metadata route and the metadata URL. */
export function describeMcpRoutes(config: Pick<GatepassConfig, 'routes'>): string | undefined {
  const mcpRoutes = config.routes.filter(isMcpRoute);
  if (mcpRoutes.length === 0) return undefined;
  const lines = ['MCP routes (docs/deploy.md "MCP routes"):'];
  for (const route of mcpRoutes) {
    lines.push(
      `  ${route.id}: ${route.method} ${route.path} resource=${route.mcp.resource} guard=function (${GUARD_TEXT.function})`,
      `    metadata: GET ${metadataPathOf(route)} guard=none (${GUARD_TEXT.none}) at ${resourceMetadataUrl(route)}`,
    );
  }
  return lines.join('\n');
}

/**
 * What an MCP client meets on a REST API, where the challenge's `resource_metadata` does not
 * reach it: API Gateway renames an integration's `WWW-Authenticate` to
 * `x-amzn-Remapped-WWW-Authenticate` (docs/deploy.md "MCP routes"), so the client probes
 * `<origin>/.well-known/oauth-protected-resource<resource path>` (RFC 9728 section 3.1, and
 * @modelcontextprotocol/sdk's client/auth.js). Warnings, not errors: the fix is in front of
 * the API (its domain), not in the configuration.
 */
export function mcpRestWarnings(config: Pick<GatepassConfig, 'routes'>): { readonly path: string; readonly message: string }[] {
  return config.routes.flatMap((route, index) => (isMcpRoute(route) ? [{ path: `routes[${index}].mcp`, message: mcpRestWarning(route) }] : []));
}

function mcpRestWarning(route: McpRoute): string {
  const resource = new URL(route.mcp.resource);
  const probe = `${resource.origin}/.well-known/oauth-protected-resource${resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '')}`;
  const head =
    `route ${route.id} is an MCP route on a REST API: API Gateway renames the WWW-Authenticate challenge the ` +
    'exchange function sends to x-amzn-Remapped-WWW-Authenticate, so MCP clients find the metadata only by probing ' +
    `${probe}`;
  const base = basePathOf(resource.pathname, route.path) ?? '';
  if (base === '') {
    return `${head}; it reaches the metadata route only on a custom domain whose API mapping has an empty base path (an execute-api URL always begins with the stage)`;
  }
  return (
    `${head}, which misses the metadata route at ${resourceMetadataUrl(route)} (the base path "${base}" of the resource comes ` +
    `after the well-known prefix in the probe): map the API at a custom domain's root and make the resource ${resource.origin}${route.path}, ` +
    'or route the probe to the metadata route in front of API Gateway'
  );
}
