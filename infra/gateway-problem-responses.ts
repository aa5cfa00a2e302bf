import { ResponseType } from 'aws-cdk-lib/aws-apigateway';
import { ErrorCode, problemFor } from '../functions/shared/errors.js';

/**
 * REST API gateway responses in the problem+json shape of docs/design.md "Errors", generated
 * from the same catalog the functions answer with. Gateway response templates are not
 * VTL: they substitute `$context` variables but cannot branch.
 *
 * - 401: a REST authorizer says 401 only by throwing `Unauthorized`, which carries no
 *   context, so every 401 has one body, `token_invalid` (API Gateway also answers 401 when
 *   the Authorization header is missing). The exact reason is in the authorizer's
 *   `authorizer.decision` log line and its `Denied` metric by code.
 * - 403: the authorizer's Deny carries its code in the context (`insufficient_scope`, or
 *   `gateway_misconfigured` for a request no configured route matches); the body names it,
 *   under a title true of both.
 */
export interface GatewayProblemResponse {
  readonly id: string;
  readonly type: ResponseType;
  /** Absent: API Gateway keeps the status of the underlying error (the DEFAULT_* types). */
  readonly statusCode?: string;
  /** The body: JSON text, possibly with `$context` substitutions. */
  readonly body: string;
  /** Extra headers, as literal values (without API Gateway's single quotes). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const problem = (code: ErrorCode) => JSON.stringify(problemFor(code));

/** The code the authorizer put in its Deny's context, reflected into `type` and `code`. */
const DENIED_CODE_VARIABLE = '$context.authorizer.code';
export const DENIED_TITLE = 'The token does not allow this request on this route';

function deniedProblem(): string {
  const base = problemFor(ErrorCode.InsufficientScope);
  return JSON.stringify({
    ...base,
    type: base.type.replace(ErrorCode.InsufficientScope, DENIED_CODE_VARIABLE),
    title: DENIED_TITLE,
    code: DENIED_CODE_VARIABLE,
  });
}

/**
 * Gateway errors that are not gatepass refusals (unknown route, throttling, payload too
 * large, ...) get RFC 9457's `about:blank` type: the status is the whole story.
 */
const genericProblem = '{"type":"about:blank","title":$context.error.messageString}';

export const GATEWAY_PROBLEM_RESPONSES: readonly GatewayProblemResponse[] = [
  {
    id: 'Unauthorized',
    type: ResponseType.UNAUTHORIZED,
    statusCode: '401',
    body: problem(ErrorCode.TokenInvalid),
    headers: { 'WWW-Authenticate': 'Bearer' },
  },
  {
    id: 'AccessDenied',
    type: ResponseType.ACCESS_DENIED,
    statusCode: '403',
    body: deniedProblem(),
    headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' },
  },
  { id: 'AuthorizerFailure', type: ResponseType.AUTHORIZER_FAILURE, statusCode: '500', body: problem(ErrorCode.GatewayMisconfigured) },
  {
    id: 'AuthorizerConfigurationError',
    type: ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    statusCode: '500',
    body: problem(ErrorCode.GatewayMisconfigured),
  },
  // REST APIs answer an unknown path or method with 403 "Missing Authentication Token";
  // 404 is what it means (and what HTTP APIs answer).
  {
    id: 'MissingAuthenticationToken',
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    body: '{"type":"about:blank","title":"Not Found","status":404}',
  },
  { id: 'Default4xx', type: ResponseType.DEFAULT_4XX, body: genericProblem },
  { id: 'Default5xx', type: ResponseType.DEFAULT_5XX, body: genericProblem },
];
