import { ResponseType } from 'aws-cdk-lib/aws-apigateway';
import { GATEWAY_PROBLEM_RESPONSES, PROBLEM_CONTENT_TYPE } from '../../infra/gateway-problem-responses.js';
import { matchesBinaryMediaType, type ApiFlavour } from './gateway-events.js';
import { isJsonObject } from './json-object.js';

/**
 * What API Gateway writes back: its own refusals (HTTP API: fixed `{"message": ...}`
 * bodies; REST API: the gateway responses the CDK stack configures, from
 * infra/gateway-problem-responses.ts, with their `$context` variables filled in) and the
 * function's proxy result turned into an HTTP answer.
 */
export interface HttpAnswer {
  readonly status: number;
  /** [name, value] pairs; a name may repeat (Set-Cookie). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/** The gateway's own refusals and failures, named by cause. */
export const GatewayFailure = {
  /** No route matches the method and path. */
  NoRoute: 'no_route',
  /** The Authorization identity source is missing or empty: the authorizer is not called. */
  IdentityMissing: 'identity_missing',
  /** REST: the authorizer threw exactly "Unauthorized". */
  Unauthorized: 'unauthorized',
  /** REST: the policy denies (or does not allow) the method ARN; HTTP: isAuthorized false. */
  AccessDenied: 'access_denied',
  /** The authorizer failed (threw, timed out). */
  AuthorizerFailure: 'authorizer_failure',
  /** The authorizer answered something that is not a valid authorizer response. */
  AuthorizerConfigurationError: 'authorizer_configuration_error',
  /** The integration failed: the function threw, timed out, or answered a malformed proxy result. */
  IntegrationFailure: 'integration_failure',
  /** The request body is over the API's payload limit (10 MB). */
  PayloadTooLarge: 'payload_too_large',
} as const;
export type GatewayFailure = (typeof GatewayFailure)[keyof typeof GatewayFailure];

const HTTP_API_FAILURES: Readonly<Record<GatewayFailure, { status: number; message: string }>> = {
  no_route: { status: 404, message: 'Not Found' },
  identity_missing: { status: 401, message: 'Unauthorized' },
  // A simple-response HTTP API authorizer has no way to throw a 401: a throw is a failure.
  unauthorized: { status: 500, message: 'Internal Server Error' },
  access_denied: { status: 403, message: 'Forbidden' },
  authorizer_failure: { status: 500, message: 'Internal Server Error' },
  authorizer_configuration_error: { status: 500, message: 'Internal Server Error' },
  integration_failure: { status: 500, message: 'Internal Server Error' },
  payload_too_large: { status: 413, message: 'Request Entity Too Large' },
};

/** REST gateway response type, default status and `$context.error.message` of each failure. */
const REST_FAILURES: Readonly<Record<GatewayFailure, { type: ResponseType; status: number; message: string }>> = {
  no_route: { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, status: 403, message: 'Missing Authentication Token' },
  identity_missing: { type: ResponseType.UNAUTHORIZED, status: 401, message: 'Unauthorized' },
  unauthorized: { type: ResponseType.UNAUTHORIZED, status: 401, message: 'Unauthorized' },
  access_denied: { type: ResponseType.ACCESS_DENIED, status: 403, message: 'User is not authorized to access this resource with an explicit deny' },
  authorizer_failure: { type: ResponseType.AUTHORIZER_FAILURE, status: 500, message: 'Internal server error' },
  authorizer_configuration_error: { type: ResponseType.AUTHORIZER_CONFIGURATION_ERROR, status: 500, message: 'Internal server error' },
  integration_failure: { type: ResponseType.DEFAULT_5XX, status: 502, message: 'Internal server error' },
  payload_too_large: { type: ResponseType.REQUEST_TOO_LARGE, status: 413, message: 'Request Too Long' },
};

/**
 * Fills a gateway response template the way API Gateway does (plain substitution, no
 * VTL): `$context.error.messageString` is the quoted message, `$context.error.message`
 * the bare one, `$context.authorizer.<key>` the authorizer context's value.
 */
export function fillTemplate(template: string, variables: { readonly message: string; readonly authorizer?: Readonly<Record<string, string>> }): string {
  return template.replace(/\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g, (whole, name: string) => {
    if (name === 'error.messageString') return JSON.stringify(variables.message);
    if (name === 'error.message') return variables.message;
    if (name.startsWith('authorizer.')) return variables.authorizer?.[name.slice('authorizer.'.length)] ?? '';
    return whole;
  });
}

function restResponseFor(type: ResponseType, status: number) {
  const exact = GATEWAY_PROBLEM_RESPONSES.find((response) => response.type.responseType === type.responseType);
  if (exact) return exact;
  // A type the stack does not customise inherits DEFAULT_4XX or DEFAULT_5XX, keeping its status.
  const fallback = status >= 500 ? ResponseType.DEFAULT_5XX : ResponseType.DEFAULT_4XX;
  return GATEWAY_PROBLEM_RESPONSES.find((response) => response.type.responseType === fallback.responseType);
}

/** The answer API Gateway gives for one of its own refusals or failures. */
export function failureAnswer(flavour: ApiFlavour, failure: GatewayFailure, authorizer?: Readonly<Record<string, string>>): HttpAnswer {
  if (flavour === 'http') {
    const { status, message } = HTTP_API_FAILURES[failure];
    return { status, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ message })) };
  }
  const { type, status, message } = REST_FAILURES[failure];
  const response = restResponseFor(type, status);
  if (!response) return { status, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ message })) };
  const headers: [string, string][] = [['content-type', PROBLEM_CONTENT_TYPE]];
  for (const [name, value] of Object.entries(response.headers ?? {})) headers.push([name.toLowerCase(), value]);
  const body = fillTemplate(response.body, { message, ...(authorizer ? { authorizer } : {}) });
  return { status: response.statusCode === undefined ? status : Number(response.statusCode), headers, body: Buffer.from(body) };
}

const isStatus = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;
const isScalar = (value: unknown) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Headers API Gateway sets itself; the function's values are not used. */
const GATEWAY_OWNED_HEADERS = new Set(['content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'date']);

function headerPairs(single: unknown, multi: unknown): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  const fromMulti = new Set<string>();
  if (multi !== undefined && multi !== null) {
    if (!isJsonObject(multi)) return undefined;
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values) || !values.every(isScalar)) return undefined;
      fromMulti.add(name.toLowerCase());
      for (const value of values) pairs.push([name.toLowerCase(), String(value)]);
    }
  }
  if (single !== undefined && single !== null) {
    if (!isJsonObject(single)) return undefined;
    for (const [name, value] of Object.entries(single)) {
      if (!isScalar(value)) return undefined;
      // REST merges the two maps; a name in multiValueHeaders keeps only those values.
      if (!fromMulti.has(name.toLowerCase())) pairs.push([name.toLowerCase(), String(value)]);
    }
  }
  return pairs.filter(([name]) => !GATEWAY_OWNED_HEADERS.has(name));
}

function bodyOf(body: unknown, base64: boolean): Buffer | undefined {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') return undefined;
  return base64 ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

/**
 * An HTTP API's reading of a payload 2.0 result: a structured result (`statusCode`,
 * `headers`, `cookies`, `body`, `isBase64Encoded`), or, without `statusCode`, any JSON
 * value answered as 200 application/json. Malformed: undefined (the gateway answers 500).
 */
export function httpApiProxyAnswer(result: unknown): HttpAnswer | undefined {
  if (!isJsonObject(result) || !('statusCode' in result)) {
    return { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify(result)) };
  }
  if (!isStatus(result['statusCode'])) return undefined;
  const headers = headerPairs(result['headers'], undefined);
  if (!headers) return undefined;
  const cookies = result['cookies'];
  if (cookies !== undefined && cookies !== null) {
    if (!Array.isArray(cookies) || !cookies.every((c) => typeof c === 'string')) return undefined;
    for (const cookie of cookies) headers.push(['set-cookie', cookie]);
  }
  const body = bodyOf(result['body'], result['isBase64Encoded'] === true);
  if (!body) return undefined;
  return { status: result['statusCode'], headers, body };
}

/**
 * A REST API's reading of a Lambda proxy result (payload 1.0). A base64 body is decoded
 * only when the request's Accept matches one of the API's binaryMediaTypes (the stack's
 * `*\/*` matches all); otherwise the client receives the base64 text, as on AWS.
 * Malformed: undefined (the gateway answers 502).
 */
export function restProxyAnswer(result: unknown, accept: string | undefined, binaryMediaTypes: readonly string[]): HttpAnswer | undefined {
  if (!isJsonObject(result) || !isStatus(result['statusCode'])) return undefined;
  const headers = headerPairs(result['headers'], result['multiValueHeaders']);
  if (!headers) return undefined;
  const decode = result['isBase64Encoded'] === true && matchesBinaryMediaType(accept, binaryMediaTypes);
  const body = bodyOf(result['body'], decode);
  if (!body) return undefined;
  return { status: result['statusCode'], headers, body };
}

/**
 * REST APIs rename a `WWW-Authenticate` header a Lambda proxy integration answers to
 * `x-amzn-Remapped-WWW-Authenticate`, so clients never see the challenge under its own name.
 * AWS's former "Known Issues" page listed it among the headers that "may be remapped to
 * `x-amzn-Remapped-HEADER` when … sent back by your integration endpoint"
 * (awsdocs/amazon-api-gateway-developer-guide, doc_source/api-gateway-known-issues.md); the
 * current page does not say so. Reports from the field:
 * https://github.com/dherault/serverless-offline/issues/236 (lambda-proxy, 2017),
 * https://github.com/pact-foundation/pact_broker-serverless/issues/5 (Basic auth broken by it),
 * https://github.com/modelix/modelix.core/pull/1658 (a client reading the renamed header, 2025).
 * HTTP APIs: AWS documents no renaming and one report says it happens; without an AWS account
 * this cannot be confirmed, so the HTTP API flavour passes the header unchanged. Only this
 * header is renamed here (the list names others, such as `Server`, that gatepass does not rely on).
 */
const REST_REMAPPED_HEADERS: Readonly<Record<string, string>> = { 'www-authenticate': 'x-amzn-remapped-www-authenticate' };

/** A REST API's renaming of an integration's headers (REST_REMAPPED_HEADERS); the gateway's own responses keep theirs. */
export function remapRestIntegrationHeaders(answer: HttpAnswer): HttpAnswer {
  return { ...answer, headers: answer.headers.map(([name, value]) => [REST_REMAPPED_HEADERS[name] ?? name, value] as const) };
}
