import type { EncodedAuthorizerContext } from '../../functions/shared/contracts/authorizer-context.js';

/**
 * Proxy integration events as API Gateway builds them after an allow: the request
 * plus the authorizer's context (REST turns context values into strings).
 */
export interface ProxyInput {
  readonly method: string;
  /** Route template, e.g. `/orders/{id}`. */
  readonly resource: string;
  /** Concrete path, e.g. `/orders/42`. */
  readonly path: string;
  readonly pathParameters?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly query?: string;
  readonly body?: Buffer;
  /** Absent: a route without an authorizer (MCP routes and their metadata), no `authorizer` in the event. */
  readonly context?: EncodedAuthorizerContext;
  /** The route's method in the route key (`ANY` for ANY routes); default `method`. */
  readonly routeMethod?: string;
}

export function proxyEventV2(input: ProxyInput): Record<string, unknown> {
  const routeKey = `${input.routeMethod ?? input.method} ${input.resource}`;
  const query = input.query ?? '';
  return {
    version: '2.0',
    routeKey,
    rawPath: input.path,
    rawQueryString: query,
    headers: { host: 'api.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.23', ...lower(input.headers ?? {}) },
    ...(query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(query)) } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1',
      ...(input.context ? { authorizer: { lambda: { ...input.context } } } : {}),
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: input.method, path: input.path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.23', userAgent: 'test' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey,
      stage: '$default',
      time: '22/Nov/2026:04:30:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(input.body ? { body: input.body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

export function proxyEventV1(input: ProxyInput): Record<string, unknown> {
  const headers = { Host: 'api.example.com', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '198.51.100.23', ...(input.headers ?? {}) };
  const params = new URLSearchParams(input.query ?? '');
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of params) (multiQuery[k] ??= []).push(v);
  return {
    resource: input.resource,
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: Object.keys(multiQuery).length ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1]])) : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: input.pathParameters ? Object.fromEntries(Object.entries(input.pathParameters).map(([k, v]) => [k, encodeURIComponent(v)])) : null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1',
      ...(input.context ? { authorizer: Object.fromEntries(Object.entries(input.context).map(([k, v]) => [k, String(v)])) } : {}),
      httpMethod: input.method,
      identity: { sourceIp: '198.51.100.23' },
      path: `/prod${input.path}`,
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      resourcePath: input.resource,
      stage: 'prod',
    },
    body: input.body ? input.body.toString('base64') : null,
    isBase64Encoded: Boolean(input.body),
  };
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
