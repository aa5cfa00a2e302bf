import type {
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import type { RouteConfig } from '../shared/config/config-schema.js';
import type { RouteMatcher } from '../shared/route-matcher.js';
import { eventHeaderValues } from '../shared/http-headers.js';
import { queryCarriesAccessToken } from '../shared/bearer-token.js';

export const EventFormat = {
  RestRequest: 'rest-request',
  RestToken: 'rest-token',
  /**
   * An HTTP API authorizer with payload format 1.0: a REST-like REQUEST event with
   * `version: "1.0"`, answered with an IAM policy, never with a simple response.
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
   */
  HttpApiV1: 'http-v1',
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
  /** IAM-policy formats only: `arn:...:execute-api:region:account:api/stage`, for the route-scoped Allow. */
  readonly arnPrefix: string | undefined;
  /** IAM-policy formats only: the called method's ARN, the one resource a Deny covers. */
  readonly methodArn: string | undefined;
  /** True for an HTTP API `$default` route, which gatepass does not serve (docs/configuration.md). */
  readonly defaultRoute: boolean;
}

/** The event matched none of the formats: a deployment mistake, not a client one. */
class UnsupportedEventError extends Error {
  constructor() {
    super('unsupported authorizer event: expected a REST REQUEST/TOKEN event or an HTTP API payload 1.0 or 2.0 event');
    this.name = 'UnsupportedEventError';
  }
}

/** HTTP APIs' catch-all route key. */
const DEFAULT_ROUTE_KEY = '$default';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export function detectFormat(event: unknown): EventFormat {
  if (!isObject(event)) throw new UnsupportedEventError();
  if (event['version'] === '2.0' && event['type'] === 'REQUEST' && typeof event['routeKey'] === 'string') return EventFormat.HttpApiV2;
  if (typeof event['methodArn'] === 'string') {
    // REST events have no `version`; an HTTP API payload 1.0 event says "1.0".
    if (event['version'] === '1.0' && event['type'] === 'REQUEST') return EventFormat.HttpApiV1;
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
        authorization: eventHeaderValues(e.headers, undefined, 'authorization'),
        tokenInQuery: hasQueryToken(e.queryStringParameters) || queryCarriesAccessToken(raw),
        arnPrefix: undefined,
        methodArn: undefined,
        defaultRoute: e.routeKey === DEFAULT_ROUTE_KEY,
      };
    }
    case EventFormat.HttpApiV1:
    case EventFormat.RestRequest: {
      const e = event as APIGatewayRequestAuthorizerEvent & { routeKey?: unknown };
      const arn = splitMethodArn(e.methodArn);
      const resource = e.resource ?? e.requestContext?.resourcePath;
      const method = e.httpMethod ?? e.requestContext?.httpMethod ?? arn?.method;
      const defaultRoute = resource === DEFAULT_ROUTE_KEY || e.routeKey === DEFAULT_ROUTE_KEY;
      return {
        format,
        route: resource && method && !defaultRoute ? matcher.byTemplate(method, resource) : undefined,
        authorization: eventHeaderValues(e.headers, e.multiValueHeaders, 'authorization'),
        tokenInQuery: hasQueryToken(e.queryStringParameters) || hasQueryToken(e.multiValueQueryStringParameters),
        arnPrefix: arn?.prefix,
        methodArn: e.methodArn,
        defaultRoute,
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
        methodArn: e.methodArn,
        defaultRoute: false,
      };
    }
  }
}
