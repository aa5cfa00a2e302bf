import type {
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';

export const API_ARN_PREFIX = 'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod';

/** Fills `/orders/{id}` with sample values: `/orders/42`. */
function concretePath(template: string): string {
  return template.replace(/\{[A-Za-z0-9_]+\+\}/g, 'a/b').replace(/\{[A-Za-z0-9_]+\}/g, '42');
}

export interface EventInput {
  readonly method: string;
  readonly path: string; // template, e.g. /orders/{id}
  readonly authorization?: string | string[];
  readonly query?: Record<string, string>;
}

/** HTTP API payload 2.0 REQUEST authorizer event, as API Gateway sends it. */
export function httpApiEvent(input: EventInput): APIGatewayRequestAuthorizerEventV2 {
  const auth = input.authorization;
  const headers: Record<string, string> = { host: 'abc123def4.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'test' };
  // HTTP APIs join repeated headers with commas.
  if (auth !== undefined) headers['authorization'] = Array.isArray(auth) ? auth.join(',') : auth;
  const rawPath = concretePath(input.path);
  const query = input.query ?? {};
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:eu-west-1:123456789012:abc123def4/$default/${input.method}${rawPath}`,
    identitySource: auth !== undefined ? [headers['authorization']!, `${input.method} ${input.path}`] : [],
    routeKey: `${input.method} ${input.path}`,
    rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    cookies: [],
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123def4',
      domainName: 'abc123def4.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123def4',
      http: { method: input.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: `${input.method} ${input.path}`,
      stage: '$default',
      time: '22/Nov/2026:04:20:00 +0000',
      timeEpoch: 1795000000000,
    },
    pathParameters: {},
    stageVariables: {},
  } as APIGatewayRequestAuthorizerEventV2;
}

/** REST API REQUEST authorizer event (v1). */
export function restRequestEvent(input: EventInput): APIGatewayRequestAuthorizerEvent {
  const auth = input.authorization;
  const values = auth === undefined ? [] : Array.isArray(auth) ? auth : [auth];
  const path = concretePath(input.path);
  const query = input.query ?? {};
  return {
    type: 'REQUEST',
    methodArn: `${API_ARN_PREFIX}/${input.method}${path}`,
    resource: input.path,
    path,
    httpMethod: input.method,
    headers: values.length ? { Authorization: values[values.length - 1]! } : {},
    multiValueHeaders: values.length ? { Authorization: values } : {},
    pathParameters: {},
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(query).length ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123def4',
      httpMethod: input.method,
      path: `/prod${path}`,
      resourcePath: input.path,
      stage: 'prod',
      requestId: 'req-1',
      resourceId: 'res1',
      identity: { sourceIp: '203.0.113.7' },
    },
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

/** REST API TOKEN authorizer event (v1): only the header value and the method ARN. */
export function restTokenEvent(input: EventInput): APIGatewayTokenAuthorizerEvent {
  const auth = Array.isArray(input.authorization) ? input.authorization.join(',') : (input.authorization ?? '');
  return { type: 'TOKEN', authorizationToken: auth, methodArn: `${API_ARN_PREFIX}/${input.method}${concretePath(input.path)}` };
}
