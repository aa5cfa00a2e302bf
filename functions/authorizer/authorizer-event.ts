import type {
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import type { RouteConfig } from '../shared/config/config-schema.js';
import type { RouteMatcher } from '../shared/route-matcher.js';

export const EventFormat = {
  RestRequest: 'rest-request',
  RestToken: 'rest-token',
  HttpApiV2: 'http-v2',
} as const;
export type EventFormat = (typeof EventFormat)[keyof typeof EventFormat];

export type AuthorizerEvent = APIGatewayRequestAuthorizerEvent | APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEventV2;

/** What the authorizer needs from any of the three event formats. */
export interface AuthorizerRequest {
  readonly format: EventFormat;
  readonly route: RouteConfig | undefined;
  /** Every Authorization value the event carries (0, 1, or several). */
  readonly authorization: readonly string[];
  /** True when the query string carries an `access_token` (RFC 6750 §2.3), which gatepass refuses. */
  readonly tokenInQuery: boolean;
  /** REST only: `arn:...:execute-api:region:account:api/stage`, for the route-scoped policy. */
  readonly arnPrefix: string | undefined;
}

/** The event matched none of the formats: a deployment mistake, not a client one. */
class UnsupportedEventError extends Error {
  constructor() {
    super('unsupported authorizer event: expected a REST REQUEST/TOKEN event or an HTTP API payload 2.0 event');
    this.name = 'UnsupportedEventError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export function detectFormat(event: unknown): EventFormat {
  if (!isObject(event)) throw new UnsupportedEventError();
  if (event['version'] === '2.0' && event['type'] === 'REQUEST' && typeof event['routeKey'] === 'string') return EventFormat.HttpApiV2;
  if (typeof event['methodArn'] === 'string') {
    if (event['type'] === 'TOKEN') return EventFormat.RestToken;
    if (event['type'] === 'REQUEST') return EventFormat.RestRequest;
  }
  throw new UnsupportedEventError();
}

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path` → prefix, method, path. */
function splitMethodArn(methodArn: string): { prefix: string; method: string; path: string } | undefined {
  const parts = methodArn.split('/');
  if (parts.length < 3 || !parts[0]!.startsWith('arn:')) return undefined;
  return { prefix: `${parts[0]}/${parts[1]}`, method: parts[2]!, path: `/${parts.slice(3).join('/')}` };
}

/** Every value of header `name` (lower case), whatever the case of the event's keys. */
function headerValues(
  headers: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
  name: string,
): string[] {
  // Keys of another length cannot match: most headers are skipped without lower-casing.
  const values: string[] = [];
  if (multi) {
    for (const key of Object.keys(multi)) {
      const list = multi[key];
      if (key.length === name.length && key.toLowerCase() === name && Array.isArray(list)) {
        for (const value of list) if (typeof value === 'string') values.push(value);
      }
    }
    if (values.length > 0) return values;
  }
  if (headers) {
    for (const key of Object.keys(headers)) {
      const value = headers[key];
      if (key.length === name.length && key.toLowerCase() === name && typeof value === 'string') values.push(value);
    }
  }
  return values;
}

function hasQueryToken(params: Record<string, unknown> | null | undefined): boolean {
  if (!params) return false;
  return Object.keys(params).some((key) => key.toLowerCase() === 'access_token');
}

/** Normalises any supported event. Throws UnsupportedEventError for anything else. */
export function parseAuthorizerEvent(event: unknown, matcher: RouteMatcher): AuthorizerRequest {
  const format = detectFormat(event);
  switch (format) {
    case EventFormat.HttpApiV2: {
      const e = event as APIGatewayRequestAuthorizerEventV2;
      const raw = e.rawQueryString ?? '';
      return {
        format,
        route: matcher.byRouteKey(e.routeKey),
        authorization: headerValues(e.headers, undefined, 'authorization'),
        tokenInQuery: hasQueryToken(e.queryStringParameters) || /(^|&)access_token=/i.test(raw),
        arnPrefix: undefined,
      };
    }
    case EventFormat.RestRequest: {
      const e = event as APIGatewayRequestAuthorizerEvent;
      const arn = splitMethodArn(e.methodArn);
      const resource = e.resource ?? e.requestContext?.resourcePath;
      const method = e.httpMethod ?? e.requestContext?.httpMethod ?? arn?.method;
      return {
        format,
        route: resource && method ? matcher.byTemplate(method, resource) : undefined,
        authorization: headerValues(e.headers, e.multiValueHeaders, 'authorization'),
        tokenInQuery: hasQueryToken(e.queryStringParameters) || hasQueryToken(e.multiValueQueryStringParameters),
        arnPrefix: arn?.prefix,
      };
    }
    case EventFormat.RestToken: {
      const e = event as APIGatewayTokenAuthorizerEvent;
      const arn = splitMethodArn(e.methodArn);
      return {
        format,
        // A TOKEN event only knows the concrete path; match it against the templates.
        route: arn ? matcher.byPath(arn.method, arn.path) : undefined,
        authorization: typeof e.authorizationToken === 'string' ? [e.authorizationToken] : [],
        tokenInQuery: false,
        arnPrefix: arn?.prefix,
      };
    }
  }
}
