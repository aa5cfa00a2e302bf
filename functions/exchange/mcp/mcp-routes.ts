import type { GatepassConfig } from '../../shared/config/config-schema.js';
import { errorCatalog, ErrorCode, GatepassError } from '../../shared/errors.js';
import { isMcpRoute, metadataPathOf, protectedResourceMetadata, resourceMetadataUrl, type McpRoute } from '../../shared/mcp/protected-resource.js';
import type { ProxyShape } from '../proxy/proxy-event.js';
import type { HttpAnswer } from '../proxy/proxy-result.js';

/**
 * The requests the exchange function guards itself (docs/design.md "MCP servers"): an MCP
 * route, where it validates the token, and the route's public protected resource metadata
 * (RFC 9728). Both are recognised by the API route API Gateway matched (REST `resource`,
 * HTTP API `routeKey`), never by the raw path, and never by an authorizer context (these
 * routes have no authorizer).
 */

export const McpRequestKind = {
  /** `/.well-known/oauth-protected-resource<route path>`: answered from configuration, no token. */
  Metadata: 'mcp-metadata',
  /** The MCP route itself: the token is validated here. */
  Resource: 'mcp-resource',
} as const;
export type McpRequestKind = (typeof McpRequestKind)[keyof typeof McpRequestKind];

export interface McpTarget {
  readonly kind: McpRequestKind;
  readonly route: McpRoute;
}

/** The methods the metadata route answers; any other is 405. */
const METADATA_METHODS: readonly string[] = ['GET', 'HEAD'];
/**
 * How long clients and caches may keep the metadata: it changes only with a deployment, and
 * five minutes bounds how long a client keeps a stale authorization server list.
 */
const METADATA_CACHE_CONTROL = 'public, max-age=300';

export class McpRoutes {
  private readonly byMetadataPath: ReadonlyMap<string, McpRoute>;
  private readonly routes: readonly McpRoute[];
  /** Each route's metadata document, serialised once: it changes only with a deployment. */
  private readonly documents: ReadonlyMap<McpRoute, Buffer>;

  constructor(config: Pick<GatepassConfig, 'routes' | 'issuers'>) {
    this.routes = config.routes.filter(isMcpRoute);
    this.byMetadataPath = new Map(this.routes.map((route) => [metadataPathOf(route), route]));
    this.documents = new Map(this.routes.map((route) => [route, Buffer.from(JSON.stringify(protectedResourceMetadata(config, route)))]));
  }

  /** True when the configuration has MCP routes (the function then needs its own TokenValidation). */
  get any(): boolean {
    return this.routes.length > 0;
  }

  /**
   * What an MCP request is, from the API route that matched: `resource` is the REST
   * resource or the HTTP API route key's path (ProxyShape). A route with the same path but
   * another method than the MCP route's is not the MCP route.
   */
  targetOf(request: Pick<ProxyShape, 'resource' | 'method'>): McpTarget | undefined {
    const metadataOf = this.byMetadataPath.get(request.resource);
    if (metadataOf) return { kind: McpRequestKind.Metadata, route: metadataOf };
    const route = this.routes.find((r) => r.path === request.resource && (r.method === 'ANY' || r.method === request.method));
    return route ? { kind: McpRequestKind.Resource, route } : undefined;
  }

  /** The metadata route's answer (RFC 9728 §3.2): the document for GET, its headers alone for HEAD. */
  metadataAnswer(route: McpRoute, method: string): HttpAnswer {
    if (!METADATA_METHODS.includes(method)) throw new MethodNotAllowedError(METADATA_METHODS, `${method} on protected resource metadata`);
    const document = this.documents.get(route);
    if (!document) throw new GatepassError(ErrorCode.GatewayMisconfigured, `route ${route.id} is not an MCP route of this configuration`);
    const headers = new Map<string, string[]>([
      ['content-type', ['application/json']],
      ['cache-control', [METADATA_CACHE_CONTROL]],
      ['x-content-type-options', ['nosniff']],
    ]);
    return { status: 200, headers, body: method === 'HEAD' ? Buffer.alloc(0) : document };
  }
}

/** A refusal that names the methods the resource does allow (RFC 9110 §15.5.6: a 405 carries `Allow`). */
export class MethodNotAllowedError extends GatepassError {
  constructor(
    readonly allow: readonly string[],
    message: string,
  ) {
    super(ErrorCode.MethodNotAllowed, message);
  }
}

/** RFC 9110 §5.6.4 quoted-string: a backslash before `"` and `\`. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * The `WWW-Authenticate` challenge of an MCP route's refusal (MCP authorization spec,
 * "Protected Resource Metadata Discovery Requirements"; RFC 9728 §5.1; RFC 6750 §3):
 * `resource_metadata` always; no error code when no token was presented (§3.1);
 * `invalid_token` for the other 401s; `insufficient_scope` for a missing scope; `scope` (the
 * route's required scopes) on all of them when the route requires any.
 * Other codes (exchange and upstream failures) keep the generic challenge, if any.
 * `error_description` is the code's fixed title: nothing from the request or the token.
 */
export function mcpChallenge(route: McpRoute, code: ErrorCode): string | undefined {
  const metadata = `resource_metadata=${quoted(resourceMetadataUrl(route))}`;
  // 2025-11-25 adds: servers SHOULD name the scopes the resource needs in the 401 challenge too.
  const scope = route.requiredScopes.length > 0 ? `, scope=${quoted(route.requiredScopes.join(' '))}` : '';
  const { status, title } = errorCatalog[code];
  if (code === ErrorCode.TokenMissing) return `Bearer ${metadata}${scope}`;
  if (status === 401) return `Bearer error="invalid_token", error_description=${quoted(title)}, ${metadata}${scope}`;
  if (code === ErrorCode.InsufficientScope) {
    return `Bearer error="insufficient_scope", scope=${quoted(route.requiredScopes.join(' '))}, error_description=${quoted(title)}, ${metadata}`;
  }
  return undefined;
}

/** What a client sends to open the server-to-client stream (MCP transports, "Listening for Messages from the Server"). */
export function isListenStreamRequest(request: Pick<ProxyShape, 'method' | 'headers'>): boolean {
  if (request.method !== 'GET') return false;
  return (request.headers.get('accept') ?? []).some((value) => /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(value));
}

/**
 * The methods an MCP route answers besides the listen stream: POST (messages) and DELETE
 * (session end), as far as the route's own method allows.
 */
export function mcpRouteMethods(route: McpRoute): string[] {
  return ['POST', 'DELETE'].filter((method) => route.method === 'ANY' || route.method === method);
}

/**
 * Refuses the long-lived GET stream with 405, as the MCP transports allow a server that offers
 * none: a Lambda proxy integration returns one buffered response, and API Gateway ends an
 * integration after 29 s by default (docs/design.md "MCP servers").
 */
export function refuseListenStream(route: McpRoute): never {
  throw new MethodNotAllowedError(mcpRouteMethods(route), 'the server-to-client SSE stream is not offered through Lambda');
}
