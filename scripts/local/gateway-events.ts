import { encodeBody } from '../../functions/exchange/proxy/proxy-result.js';
import type { GatepassConfig, RouteConfig } from '../../functions/shared/config/config-schema.js';
import { gatewayRoutesOf, type GatewayRoute } from '../../functions/shared/config/gateway-routes.js';
import { RouteMatcher } from '../../functions/shared/route-matcher.js';

/**
 * The events API Gateway builds from one HTTP request, for the authorizer and for the
 * proxy integration, in both API flavours of the CDK stack:
 * - HTTP API (payload format 2.0, simple-response REQUEST authorizer): lower-cased
 *   headers, repeated ones comma-joined, cookies apart, decoded path parameters, the
 *   authorizer's context under `requestContext.authorizer.lambda` as returned;
 * - REST API (REQUEST authorizer, Lambda proxy integration, payload 1.0): headers as
 *   sent plus `multiValueHeaders`, path parameters as the client encoded them, the body
 *   base64-encoded when its Content-Type matches the API's binaryMediaTypes (the stack
 *   sets `*\/*`: every body), else as text, the context under `requestContext.authorizer`
 *   with every value turned into a string.
 */

export type ApiFlavour = 'http' | 'rest';

/** One HTTP request as the gateway received it. */
export interface GatewayRequest {
  /** Upper case. */
  readonly method: string;
  /** The path as received, percent-encoded, without the query string. */
  readonly rawPath: string;
  /** Without `?`; '' when none. */
  readonly rawQueryString: string;
  /** Every header in arrival order, names as the client sent them. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly requestId: string;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
}

/** What a deployed API knows about itself. */
export interface ApiIdentity {
  readonly accountId: string;
  readonly region: string;
  readonly apiId: string;
  /** `$default` for the HTTP API, the stage name (`prod`) for the REST API. */
  readonly stage: string;
  /** The domain the client addressed. */
  readonly domainName: string;
}

export interface RouteMatch {
  /** The configured route served (for an MCP route's metadata route, that MCP route). */
  readonly route: RouteConfig;
  /** The API route selected: its method, its path template and who guards it (gatewayRoutesOf). */
  readonly apiRoute: GatewayRoute;
  /** `GET /orders/{id}`; `ANY /files/{proxy+}` for ANY routes. */
  readonly routeKey: string;
  /** Values as they appear in the path (percent-encoded). */
  readonly rawPathParameters: Readonly<Record<string, string>>;
}

/**
 * The API's routes for a configuration, exactly those the CDK stack creates
 * (functions/shared/config/gateway-routes.ts): one per configured route, plus the public
 * metadata route of each MCP route.
 */
export class ApiRoutes {
  readonly #matcher: RouteMatcher;
  readonly #served = new Map<RouteConfig, { readonly route: RouteConfig; readonly apiRoute: GatewayRoute }>();

  constructor(config: Pick<GatepassConfig, 'routes'>) {
    const byId = new Map(config.routes.map((route) => [route.id, route]));
    const templates = gatewayRoutesOf(config).map((apiRoute) => {
      const route = byId.get(apiRoute.routeId)!;
      // RouteMatcher selects among route templates: each API route is one, standing for the configured route it serves.
      const template: RouteConfig = { ...route, method: apiRoute.method, path: apiRoute.path };
      this.#served.set(template, { route, apiRoute });
      return template;
    });
    this.#matcher = new RouteMatcher({ routes: templates });
  }

  /** The API route a request selects and the configured route it serves, or undefined (no route: 404). */
  select(method: string, rawPath: string): { readonly route: RouteConfig; readonly apiRoute: GatewayRoute } | undefined {
    const template = this.#matcher.byPath(method, rawPath);
    return template ? this.#served.get(template) : undefined;
  }
}

/** API Gateway's route selection: the most specific template, an exact method before ANY. */
export function matchRoute(routes: ApiRoutes, method: string, rawPath: string): RouteMatch | undefined {
  const selected = routes.select(method, rawPath);
  if (!selected) return undefined;
  const { route, apiRoute } = selected;
  const parts = rawPath.split('/').filter((s) => s !== '');
  const params: Record<string, string> = {};
  apiRoute.path
    .split('/')
    .filter((s) => s !== '')
    .forEach((segment, index) => {
      if (segment.startsWith('{') && segment.endsWith('+}')) params[segment.slice(1, -2)] = parts.slice(index).join('/');
      else if (segment.startsWith('{') && segment.endsWith('}')) params[segment.slice(1, -1)] = parts[index] ?? '';
    });
  return { route, apiRoute, routeKey: `${apiRoute.method} ${apiRoute.path}`, rawPathParameters: params };
}

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `22/Nov/2026:04:30:00 +0000`, API Gateway's request time format. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

function headerValues(request: GatewayRequest, name: string): string[] {
  return request.headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);
}

function userAgent(request: GatewayRequest): string {
  return headerValues(request, 'user-agent')[0] ?? '';
}

/** The single value API Gateway reads for the `Authorization` identity source, or undefined when absent or empty. */
function authorizationIdentity(flavour: ApiFlavour, request: GatewayRequest): string | undefined {
  const values = headerValues(request, 'authorization');
  if (values.length === 0) return undefined;
  // HTTP APIs join repeated headers with commas; REST reads the last value.
  const value = flavour === 'http' ? values.join(',') : values[values.length - 1]!;
  return value.trim() === '' ? undefined : value;
}

/** The authorizer cache key: the values of the stack's identity sources. */
export function identitySourceValues(flavour: ApiFlavour, request: GatewayRequest, match: RouteMatch): string[] | undefined {
  const authorization = authorizationIdentity(flavour, request);
  if (authorization === undefined) return undefined;
  // HTTP: $request.header.Authorization, $context.routeKey; REST: the header, context.resourcePath, context.httpMethod
  return flavour === 'http' ? [authorization, match.routeKey] : [authorization, match.apiRoute.path, request.method];
}

// ---------------------------------------------------------------------------------------
// HTTP API, payload format 2.0

function v2Headers(request: GatewayRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase();
    if (key === 'cookie') continue;
    headers[key] = key in headers ? `${headers[key]},${value}` : value;
  }
  return headers;
}

function v2Cookies(request: GatewayRequest): string[] {
  return headerValues(request, 'cookie').flatMap((value) => value.split(';').map((c) => c.trim()).filter((c) => c !== ''));
}

function v2Query(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) params[name] = name in params ? `${params[name]},${value}` : value;
  return params;
}

function v2RequestContext(request: GatewayRequest, match: RouteMatch, api: ApiIdentity): Record<string, unknown> {
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    domainName: api.domainName,
    domainPrefix: api.domainName.split('.')[0],
    http: { method: request.method, path: decodeOnce(request.rawPath), protocol: 'HTTP/1.1', sourceIp: request.sourceIp, userAgent: userAgent(request) },
    requestId: request.requestId,
    routeKey: match.routeKey,
    stage: api.stage,
    time: requestTime(request.receivedAt),
    timeEpoch: request.receivedAt,
  };
}

function v2PathParameters(match: RouteMatch): Record<string, string> | undefined {
  const entries = Object.entries(match.rawPathParameters);
  return entries.length === 0 ? undefined : Object.fromEntries(entries.map(([k, v]) => [k, decodeOnce(v)]));
}

/** The HTTP API REQUEST authorizer event (payload 2.0) for the stack's identity sources. */
export function httpApiAuthorizerEvent(request: GatewayRequest, match: RouteMatch, api: ApiIdentity): Record<string, unknown> {
  const query = v2Query(request.rawQueryString);
  const params = v2PathParameters(match);
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${request.method}${request.rawPath}`,
    identitySource: identitySourceValues('http', request, match) ?? [],
    routeKey: match.routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    cookies: v2Cookies(request),
    headers: v2Headers(request),
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: v2RequestContext(request, match, api),
    ...(params ? { pathParameters: params } : {}),
  };
}

/** The payload 2.0 proxy integration event, with the simple response's context; without one (a route with no authorizer), no `authorizer`. */
export function httpApiProxyEvent(
  request: GatewayRequest,
  match: RouteMatch,
  api: ApiIdentity,
  context: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const headers = v2Headers(request);
  const cookies = v2Cookies(request);
  const query = v2Query(request.rawQueryString);
  const params = v2PathParameters(match);
  const headerMap = new Map(Object.entries(headers).map(([k, v]) => [k, [v]]));
  const body = request.body.length > 0 ? encodeBody(request.body, headerMap) : undefined;
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: { ...v2RequestContext(request, match, api), ...(context ? { authorizer: { lambda: { ...context } } } : {}) },
    ...(params ? { pathParameters: params } : {}),
    ...(body ? { body: body.body, isBase64Encoded: body.isBase64Encoded } : { isBase64Encoded: false }),
  };
}

// ---------------------------------------------------------------------------------------
// REST API, REQUEST authorizer and Lambda proxy integration (payload 1.0)

function v1Headers(request: GatewayRequest): { headers: Record<string, string> | null; multiValueHeaders: Record<string, string[]> | null } {
  if (request.headers.length === 0) return { headers: null, multiValueHeaders: null };
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of request.headers) {
    const existing = Object.keys(multiValueHeaders).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
    (multiValueHeaders[existing] ??= []).push(value);
    headers[existing] = value;
  }
  return { headers, multiValueHeaders };
}

function v1Query(rawQueryString: string): { queryStringParameters: Record<string, string> | null; multiValueQueryStringParameters: Record<string, string[]> | null } {
  if (rawQueryString === '') return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    (multi[name] ??= []).push(value);
    single[name] = value;
  }
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

function v1RequestContext(request: GatewayRequest, match: RouteMatch, api: ApiIdentity): Record<string, unknown> {
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    domainName: api.domainName,
    domainPrefix: api.domainName.split('.')[0],
    extendedRequestId: request.requestId,
    httpMethod: request.method,
    identity: {
      accessKey: null,
      accountId: null,
      caller: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: request.sourceIp,
      user: null,
      userAgent: userAgent(request),
      userArn: null,
    },
    path: `/${api.stage}${request.rawPath}`,
    protocol: 'HTTP/1.1',
    requestId: request.requestId,
    requestTime: requestTime(request.receivedAt),
    requestTimeEpoch: request.receivedAt,
    resourceId: match.apiRoute.kind === 'route' ? match.route.id : `${match.route.id}-${match.apiRoute.kind}`,
    resourcePath: match.apiRoute.path,
    stage: api.stage,
  };
}

function v1Common(request: GatewayRequest, match: RouteMatch, api: ApiIdentity): Record<string, unknown> {
  const params = Object.keys(match.rawPathParameters).length > 0 ? { ...match.rawPathParameters } : null;
  return {
    resource: match.apiRoute.path,
    path: request.rawPath,
    httpMethod: request.method,
    ...v1Headers(request),
    ...v1Query(request.rawQueryString),
    pathParameters: params,
    stageVariables: null,
    requestContext: v1RequestContext(request, match, api),
  };
}

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path`: what a REST policy must allow. */
export function methodArn(request: GatewayRequest, api: ApiIdentity): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${request.method}${request.rawPath}`;
}

/** The REST REQUEST authorizer event. */
export function restAuthorizerEvent(request: GatewayRequest, match: RouteMatch, api: ApiIdentity): Record<string, unknown> {
  return { type: 'REQUEST', methodArn: methodArn(request, api), ...v1Common(request, match, api) };
}

/** Context values as a REST API passes them on: strings (null and undefined dropped). */
export function stringifiedContext(context: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) if (value !== null && value !== undefined) out[key] = String(value);
  return out;
}

/** True when a media type matches one of a REST API's binaryMediaTypes (`*\/*`, `image/*`, exact). */
export function matchesBinaryMediaType(mediaType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  const wanted = (mediaType ?? '').split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  return binaryMediaTypes.some((type) => {
    const pattern = type.toLowerCase();
    return pattern === '*/*' || wanted.some((w) => w === pattern || (pattern.endsWith('/*') && w.startsWith(pattern.slice(0, -1))));
  });
}

/** The REST Lambda proxy event, the authorizer's principal and context in `requestContext.authorizer` (none on a route with no authorizer). */
export function restProxyEvent(
  request: GatewayRequest,
  match: RouteMatch,
  api: ApiIdentity,
  authorizer: { readonly principalId: string; readonly context: Readonly<Record<string, unknown>>; readonly latencyMs: number } | undefined,
  binaryMediaTypes: readonly string[],
): Record<string, unknown> {
  const common = v1Common(request, match, api);
  const binary = request.body.length > 0 && matchesBinaryMediaType(headerValues(request, 'content-type')[0], binaryMediaTypes);
  return {
    ...common,
    requestContext: {
      ...(common['requestContext'] as Record<string, unknown>),
      ...(authorizer
        ? { authorizer: { ...stringifiedContext(authorizer.context), principalId: authorizer.principalId, integrationLatency: authorizer.latencyMs } }
        : {}),
    },
    body: request.body.length === 0 ? null : request.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
}
