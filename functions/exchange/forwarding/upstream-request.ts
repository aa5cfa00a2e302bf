import { validateHeaderName, validateHeaderValue } from 'node:http';
import { isIP } from 'node:net';
import type { RouteConfig } from '../../shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { decodeOnce, type ProxyRequest } from '../proxy/proxy-event.js';

/**
 * What goes upstream, decided without any I/O: the URL (the route's configured base and
 * its path template filled with the request's path parameters), the headers (filtered and
 * completed) and the body. The caller's Host and raw path never choose the destination.
 */

export interface UpstreamRequestPlan {
  readonly url: URL;
  readonly method: string;
  /** Lower-cased names; null prototype, so no header name can reach Object.prototype. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
  /** Request headers left out because Node would refuse their name or value. */
  readonly invalidHeaders: readonly string[];
}

/** RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies still see. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Request headers gatepass replaces or never forwards: the credential it swaps, what Node
 * computes itself, the caller's claims about addresses (gatepass writes X-Forwarded-*),
 * and API Gateway / CloudFront internals. `X-Amzn-Trace-Id` is kept for tracing.
 */
const DROPPED_REQUEST_HEADERS = new Set([
  'authorization',
  'host',
  'content-length',
  'expect',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'via',
  'x-amz-cf-id',
  'x-amz-security-token',
]);

const isDroppedInternal = (name: string): boolean =>
  name.startsWith('proxy-') || name.startsWith('cloudfront-') || (name.startsWith('x-amzn-') && name !== 'x-amzn-trace-id');

/** Header names listed in the Connection field(s): hop-by-hop for this connection only. */
function connectionListed(values: readonly string[] | undefined): Set<string> {
  const names = new Set<string>();
  for (const value of values ?? []) for (const token of value.split(',')) if (token.trim() !== '') names.add(token.trim().toLowerCase());
  return names;
}

/** True for a header that belongs to one connection and must not cross a proxy. */
function isHopByHop(name: string, connectionNames: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || connectionNames.has(name);
}

/** Response headers the caller may receive: hop-by-hop ones and Content-Length (API Gateway sets it) removed. */
export function forwardableResponseHeaders(headers: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const listed = connectionListed(headers.get('connection'));
  const out = new Map<string, string[]>();
  for (const [name, values] of headers) {
    if (isHopByHop(name, listed) || name === 'content-length') continue;
    out.set(name, [...values]);
  }
  return out;
}

const SEGMENT_PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

/**
 * True when a value, as is or after up to three rounds of percent-decoding, holds a `.`
 * or `..` segment (with `/` or `\` as separators), also with whitespace or control
 * characters around it. Upstreams that decode once more, treat `\` as `/`, or trim a
 * segment (Windows and IIS drop trailing spaces; a WHATWG parse trims the whole input; C
 * code stops at a NUL) would otherwise resolve it above the route's path.
 */
export function hasDotSegment(value: string): boolean {
  let current = value;
  for (let round = 0; round < 4; round++) {
    if (current.split(/[/\\]/).some(isDotSegment)) return true;
    const next = decodeOnce(current);
    if (next === current) return false;
    current = next;
  }
  return true;
}

// eslint-disable-next-line no-control-regex
const SEGMENT_PADDING = /^[\s\x00-\x1f\x7f]+|[\s\x00-\x1f\x7f]+$/g;

function isDotSegment(part: string): boolean {
  const bare = part.replace(SEGMENT_PADDING, '');
  return bare === '.' || bare === '..';
}

/** Percent-encodes a path segment, leaving the RFC 3986 pchar sub-delims readable. */
function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/%(3A|40|24|26|2B|2C|3B|3D)/g, (escaped) => decodeURIComponent(escaped));
}

function invalidPath(detail: string): GatepassError {
  return new GatepassError(ErrorCode.RequestInvalid, `path refused: ${detail}`);
}

/**
 * The concrete path of a route template with the request's (decoded) path parameters:
 * `/orders/{id}` + {id: "42"} → `/orders/42`; `/files/{proxy+}` + {proxy: "a/b"} →
 * `/files/a/b`. Every value is percent-encoded per segment, so a `{param}` never adds a
 * segment; dot segments, control characters and empty segments inside a greedy value
 * (`a//b`, `/a`: a request-target must never start with `//`, which parsers read as an
 * authority) are refused (request_invalid, 400). The client's trailing slash is kept:
 * `trailingSlash` (the path API Gateway reports ends with `/`), or a greedy value ending
 * with `/`. A template parameter without a value means API Gateway and the configuration
 * disagree (gateway_misconfigured, 500).
 */
export function concretePath(template: string, params: Readonly<Record<string, string>>, trailingSlash = false): string {
  const out: string[] = [];
  for (const segment of template.split('/').filter((s) => s !== '')) {
    const match = SEGMENT_PARAM.exec(segment);
    if (!match) {
      out.push(segment);
      continue;
    }
    const [, name, greedy] = match as unknown as [string, string, string];
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    if (value === undefined || (greedy === '' && value === '')) {
      throw new GatepassError(ErrorCode.GatewayMisconfigured, `the event has no value for path parameter "${name}" of ${template}`);
    }
    if (CONTROL_CHARS.test(value)) throw invalidPath(`parameter "${name}" holds a control character`);
    if (hasDotSegment(value)) throw invalidPath(`parameter "${name}" holds a dot segment`);
    if (greedy === '') {
      out.push(encodeSegment(value));
      continue;
    }
    const segments = value.endsWith('/') ? value.slice(0, -1).split('/') : value.split('/');
    if (segments.some((part) => part === '')) throw invalidPath(`parameter "${name}" holds an empty segment`);
    out.push(segments.map(encodeSegment).join('/'));
    if (value.endsWith('/')) trailingSlash = true;
  }
  const path = `/${out.join('/')}`;
  return trailingSlash && path !== '/' ? `${path}/` : path;
}

/** Percent-encodes what may not appear raw in a query; existing escapes are kept as they are. */
export function sanitizeQuery(raw: string): string {
  return raw.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/gu, (char) =>
    [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** The upstream URL: the route's base URL (its path as a prefix) plus the concrete path and query. */
export function upstreamUrl(route: Pick<RouteConfig, 'upstream' | 'path'>, request: Pick<ProxyRequest, 'pathParameters' | 'rawQueryString' | 'path'>): URL {
  const base = new URL(route.upstream);
  const url = new URL(base.origin);
  const basePath = base.pathname.replace(/\/+$/, '');
  // Assigning `pathname` re-parses it; the path holds no dot segments and only escaped
  // specials, so the parse keeps it as is.
  url.pathname = `${basePath}${concretePath(route.path, request.pathParameters, request.path.length > 1 && request.path.endsWith('/'))}`;
  const query = [base.search.slice(1), sanitizeQuery(request.rawQueryString)].filter((q) => q !== '').join('&');
  url.search = query === '' ? '' : `?${query}`;
  return url;
}

/**
 * X-Forwarded-For: the chain API Gateway passed, with the caller's address added only when
 * the chain does not hold it yet, and only IP addresses in it. On a REST API the chain is
 * `client, …, CloudFront edge` and `sourceIp` is the client, already in it; on an HTTP API
 * the chain ends with `sourceIp`. The REST console's Test button reports
 * `test-invoke-source-ip` and samples show `192.168.0.1/32`: neither is an address, neither
 * is forwarded. Sources: the Powertools captures in test/fixtures/aws-events/, and
 * https://repost.aws/questions/QU-xMNlCuTT5m6fL60GYEcgg (CloudFront appends itself, a Regional
 * endpoint does not; not in the developer guide); docs/design.md "Forwarding".
 */
function forwardedFor(incoming: readonly string[] | undefined, sourceIp: string): string {
  const chain = (incoming ?? []).flatMap((value) => value.split(',')).map((ip) => ip.trim()).filter((ip) => isIP(ip) !== 0);
  if (isIP(sourceIp) !== 0 && !chain.includes(sourceIp)) chain.push(sourceIp);
  return chain.join(', ');
}

function isValidHeader(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Plans the upstream call of a request on its route, sending `bearerToken` (the issued
 * token, or the caller's own for a passthrough). The route's actor header (exchange.actor
 * source "header") is a credential and is not forwarded either.
 */
export function planUpstreamRequest(route: RouteConfig, request: ProxyRequest, bearerToken: string): UpstreamRequestPlan {
  const url = upstreamUrl(route, request);
  const actor = route.exchange?.actor;
  const actorHeader = actor?.source === 'header' ? actor.header.toLowerCase() : undefined;
  const listed = connectionListed(request.headers.get('connection'));

  const headers = Object.create(null) as Record<string, string | string[]>;
  const invalidHeaders: string[] = [];
  for (const [name, values] of request.headers) {
    if (DROPPED_REQUEST_HEADERS.has(name) || isHopByHop(name, listed) || isDroppedInternal(name) || name === actorHeader) continue;
    const valid = values.filter((value) => isValidHeader(name, value));
    if (valid.length !== values.length) invalidHeaders.push(name);
    if (valid.length > 0) headers[name] = valid.length === 1 ? valid[0]! : valid;
  }

  const cookies = request.cookies.filter((cookie) => isValidHeader('cookie', cookie));
  if (cookies.length > 0) headers['cookie'] = cookies.join('; ');
  const xff = forwardedFor(request.headers.get('x-forwarded-for'), request.sourceIp);
  if (xff !== '' && isValidHeader('x-forwarded-for', xff)) headers['x-forwarded-for'] = xff;
  // API Gateway endpoints only accept HTTPS.
  headers['x-forwarded-proto'] = 'https';
  if (request.host !== '' && isValidHeader('x-forwarded-host', request.host)) headers['x-forwarded-host'] = request.host;
  if (request.body.length > 0 || METHODS_WITH_BODY.has(request.method)) headers['content-length'] = String(request.body.length);
  headers['authorization'] = `Bearer ${bearerToken}`;

  return { url, method: request.method, headers, body: request.body, invalidHeaders };
}
