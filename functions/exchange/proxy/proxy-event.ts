import type { APIGatewayProxyEvent, APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';
import { extractBearerToken } from '../../shared/bearer-token.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { tokenIdOf } from '../../shared/token-id.js';
import { parseAuthorizerContext, type AuthorizerContext } from '../../shared/contracts/authorizer-context.js';
import { markSensitive } from '../../shared/telemetry/log-redaction.js';
import { eventHeaders } from '../../shared/http-headers.js';

/**
 * The API Gateway proxy integration event, REST (payload 1.0) or HTTP API (payload 2.0),
 * turned into one request shape, with the authorizer's context checked against the
 * bearer token the request actually carries.
 */

export const ProxyEventVersion = {
  /** REST API (and HTTP API payload 1.0): multi-value headers and query. */
  V1: 'v1',
  /** HTTP API payload 2.0: comma-joined headers, `cookies`, `rawQueryString`. */
  V2: 'v2',
} as const;
export type ProxyEventVersion = (typeof ProxyEventVersion)[keyof typeof ProxyEventVersion];

/** The events the exchange Lambda accepts (the handler's parameter type). */
export type ProxyEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, unknown>>;

export interface ProxyRequest {
  readonly version: ProxyEventVersion;
  /** API Gateway's request id, for correlation in logs. */
  readonly requestId: string;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** `GET /orders/{id}`: REST `httpMethod` + `resource`, HTTP API `routeKey`. */
  readonly routeKey: string;
  /** The route's path template (`/orders/{id}`), or '' for the HTTP API `$default` route. */
  readonly resource: string;
  /** The concrete path as API Gateway reports it (forwarding rebuilds it from the template and keeps only its trailing slash). */
  readonly path: string;
  readonly stage: string;
  /** Path parameter values, decoded (REST API values, which arrive percent-encoded, are decoded once). */
  readonly pathParameters: Readonly<Record<string, string>>;
  /** The query string without `?`, percent-encoded, '' when there is none. */
  readonly rawQueryString: string;
  /** Lower-cased names, every value (functions/shared/http-headers.ts); `cookie` is moved to `cookies`. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** `name=value` pairs from the `Cookie` header (v1) or the event's `cookies` (v2). */
  readonly cookies: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  /** The Host the client addressed (the `Host` header, else the API's domain name). */
  readonly host: string;
  readonly authorizer: AuthorizerContext;
  /** The caller's token (never log it). Its tokenIdOf equals `authorizer.tokenId`. */
  readonly bearerToken: string;
}

export interface ProxyEventOptions {
  /** settings.maxTokenLength */
  readonly maxTokenLength: number;
  /** settings.clockSkewSeconds */
  readonly clockSkewSeconds: number;
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

function misconfigured(detail: string): GatepassError {
  return new GatepassError(ErrorCode.GatewayMisconfigured, detail);
}

/**
 * The payload version of an event, for answering in the right format even when the
 * event is refused. Anything that is not a 2.0 payload is answered as 1.0.
 */
export function proxyEventVersion(event: unknown): ProxyEventVersion {
  return isObject(event) && event['version'] === '2.0' ? ProxyEventVersion.V2 : ProxyEventVersion.V1;
}

/** `a=1; b=2` → [`a=1`, `b=2`]. */
function splitCookieHeader(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(';').map((c) => c.trim()).filter((c) => c !== ''));
}

/** REST gives decoded query values; re-encode them in event order. */
function queryStringOf(single: unknown, multi: unknown): string {
  const pairs: string[] = [];
  const push = (name: string, value: unknown) => {
    if (typeof value === 'string') pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  };
  if (isObject(multi) && Object.keys(multi).length > 0) {
    for (const [name, values] of Object.entries(multi)) if (Array.isArray(values)) for (const value of values) push(name, value);
  } else if (isObject(single)) {
    for (const [name, value] of Object.entries(single)) push(name, value);
  }
  return pairs.join('&');
}

/** One round of percent-decoding; a malformed escape leaves the text as it is (never throws). */
export function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * HTTP APIs pass path parameters decoded; REST APIs pass them as the client encoded them
 * (like `path`), so REST values are decoded once here and every ProxyRequest holds decoded values.
 */
function pathParametersOf(value: unknown, encoded: boolean): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  if (isObject(value)) {
    for (const [name, param] of Object.entries(value)) if (typeof param === 'string') params[name] = encoded ? decodeOnce(param) : param;
  }
  return params;
}

function bodyOf(body: unknown, isBase64Encoded: unknown): Buffer {
  if (typeof body !== 'string' || body === '') return Buffer.alloc(0);
  return Buffer.from(body, isBase64Encoded === true ? 'base64' : 'utf8');
}

/** A proxy event read into its request parts, before any token or authorizer context is trusted. */
export type ProxyShape = Omit<ProxyRequest, 'authorizer' | 'bearerToken'> & {
  /** The authorizer's context as the event carries it, unchecked (absent on routes without an authorizer). */
  readonly context: unknown;
};

function shapeV2(event: Record<string, unknown>): ProxyShape {
  const rc = event['requestContext'];
  const http = isObject(rc) ? rc['http'] : undefined;
  if (!isObject(rc) || !isObject(http) || typeof http['method'] !== 'string' || typeof event['rawPath'] !== 'string' || typeof event['routeKey'] !== 'string') {
    throw misconfigured('unsupported proxy event: an HTTP API payload 2.0 event needs requestContext.http, rawPath and routeKey');
  }
  const headers = eventHeaders(event['headers'], undefined);
  const cookieHeader = headers.get('cookie') ?? [];
  headers.delete('cookie');
  const eventCookies = Array.isArray(event['cookies']) ? event['cookies'].filter((c): c is string => typeof c === 'string') : [];
  const routeKey = event['routeKey'];
  const space = routeKey.indexOf(' ');
  const authorizer = rc['authorizer'];
  return {
    version: ProxyEventVersion.V2,
    requestId: str(rc['requestId']),
    method: http['method'].toUpperCase(),
    routeKey,
    resource: space > 0 ? routeKey.slice(space + 1) : '',
    path: event['rawPath'],
    stage: str(rc['stage']),
    pathParameters: pathParametersOf(event['pathParameters'], false),
    rawQueryString: str(event['rawQueryString']),
    headers,
    cookies: [...eventCookies, ...splitCookieHeader(cookieHeader)],
    body: bodyOf(event['body'], event['isBase64Encoded']),
    sourceIp: str(http['sourceIp']),
    host: headers.get('host')?.[0] ?? str(rc['domainName']),
    context: isObject(authorizer) ? authorizer['lambda'] : undefined,
  };
}

/** REST puts the context on `authorizer` itself; an HTTP API with payload 1.0 nests it under `lambda`. */
function v1Context(authorizer: unknown): unknown {
  if (isObject(authorizer) && !('route' in authorizer) && isObject(authorizer['lambda'])) return authorizer['lambda'];
  return authorizer;
}

function shapeV1(event: Record<string, unknown>): ProxyShape {
  const rc = event['requestContext'];
  if (!isObject(rc) || typeof event['httpMethod'] !== 'string' || typeof event['resource'] !== 'string' || typeof event['path'] !== 'string') {
    throw misconfigured('unsupported proxy event: expected a REST API proxy event (payload 1.0) or an HTTP API payload 2.0 event');
  }
  const headers = eventHeaders(event['headers'], event['multiValueHeaders']);
  const cookieHeader = headers.get('cookie') ?? [];
  headers.delete('cookie');
  const method = event['httpMethod'].toUpperCase();
  const identity = rc['identity'];
  return {
    version: ProxyEventVersion.V1,
    requestId: str(rc['requestId']),
    method,
    routeKey: `${method} ${event['resource']}`,
    resource: event['resource'],
    path: event['path'],
    stage: str(rc['stage']),
    // A REST event has no `version`; an HTTP API payload 1.0 event says "1.0".
    pathParameters: pathParametersOf(event['pathParameters'], !('version' in event)),
    rawQueryString: queryStringOf(event['queryStringParameters'], event['multiValueQueryStringParameters']),
    headers,
    cookies: splitCookieHeader(cookieHeader),
    body: bodyOf(event['body'], event['isBase64Encoded']),
    sourceIp: isObject(identity) ? str(identity['sourceIp']) : '',
    host: headers.get('host')?.[0] ?? str(rc['domainName']),
    context: v1Context(rc['authorizer']),
  };
}

/** The REST console's Test button invokes the integration on this pseudo-stage, without the authorizer. */
const CONSOLE_TEST_STAGE = 'test-invoke-stage';

function authorizerContextOf(context: unknown, stage: string): AuthorizerContext {
  try {
    return parseAuthorizerContext(context);
  } catch (error) {
    if (stage !== CONSOLE_TEST_STAGE || !(error instanceof GatepassError)) throw error;
    throw misconfigured(
      "no authorizer context: the API Gateway console's Test button calls the integration without running the authorizer; test through the stage's invoke URL (docs/operations.md)",
    );
  }
}

/** Reads a proxy event (REST v1 or HTTP API v2) into its parts. Throws gateway_misconfigured for anything else. */
export function parseProxyShape(event: unknown): ProxyShape {
  if (!isObject(event)) throw misconfigured('unsupported proxy event: not an object');
  return proxyEventVersion(event) === ProxyEventVersion.V2 ? shapeV2(event) : shapeV1(event);
}

/**
 * The request's single `Bearer` token (the authorizer's rules: token_missing / token_malformed,
 * 401), registered with the log redaction net before anything could log it.
 */
export function bearerTokenOf(shape: Pick<ProxyShape, 'headers'>, maxTokenLength: number): string {
  const bearerToken = extractBearerToken(shape.headers.get('authorization') ?? [], maxTokenLength);
  markSensitive(bearerToken);
  return bearerToken;
}

/**
 * The request with the authorizer's context, checked against the token the request carries.
 * Throws GatepassError:
 * - gateway_misconfigured (500): no valid authorizer context (the authorizer did not run:
 *   refuse, never forward);
 * - token_missing / token_malformed (401): no single `Bearer` token (the authorizer's rules);
 * - token_invalid (401): the token's tokenIdOf differs from the context's `tokenId`;
 * - token_expired (401): the context's `expiresAt` is past, beyond the clock skew (a cached
 *   authorizer allow can outlive the token).
 */
export function authorizedRequest(shape: ProxyShape, options: ProxyEventOptions): ProxyRequest {
  const { context, ...parts } = shape;
  const authorizer = authorizerContextOf(context, parts.stage);
  const bearerToken = bearerTokenOf(parts, options.maxTokenLength);
  if (tokenIdOf(bearerToken) !== authorizer.tokenId) {
    throw new GatepassError(ErrorCode.TokenInvalid, 'the bearer token is not the one the authorizer validated (tokenId mismatch)');
  }
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  if (authorizer.expiresAt + options.clockSkewSeconds < nowSeconds) {
    throw new GatepassError(ErrorCode.TokenExpired, 'the token expired after the authorizer allowed it (cached authorizer result)');
  }
  return { ...parts, authorizer, bearerToken };
}

/** parseProxyShape then authorizedRequest: a proxy event behind the gatepass authorizer. */
export function parseProxyEvent(event: unknown, options: ProxyEventOptions): ProxyRequest {
  return authorizedRequest(parseProxyShape(event), options);
}
