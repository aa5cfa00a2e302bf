import type { APIGatewayAuthorizerResult, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import type { RouteConfig } from '../shared/config/config-schema.js';
import type { EncodedAuthorizerContext } from '../shared/contracts/authorizer-context.js';
import { routeResourceArn } from '../shared/route-matcher.js';
import { EventFormat, type AuthorizerRequest } from './authorizer-event.js';

export type AuthorizerResult =
  | APIGatewayAuthorizerResult
  | APIGatewaySimpleAuthorizerWithContextResult<EncodedAuthorizerContext>
  | { isAuthorized: false };

/**
 * REST authorizers can say 401 only this way: API Gateway maps an error whose message
 * is exactly "Unauthorized" to its UNAUTHORIZED gateway response.
 */
export class UnauthorizedSignal extends Error {
  constructor() {
    super('Unauthorized');
    this.name = 'Error';
  }
}

function policy(effect: 'Allow' | 'Deny', resource: string): APIGatewayAuthorizerResult['policyDocument'] {
  return { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] };
}

/** Matches no execute-api resource: what a policy covers when the event names none. */
const NO_RESOURCE = 'arn:aws:execute-api:*:*:none/none/NONE/none';

/**
 * The resource an Allow covers: only the matched route (path parameters as wildcards), so
 * an allow cached by API Gateway never opens another route.
 */
function routeResource(request: AuthorizerRequest, route: RouteConfig): string {
  return request.arnPrefix ? routeResourceArn(request.arnPrefix, route) : NO_RESOURCE;
}

/**
 * The resource a Deny covers: the called method's ARN and nothing else. API Gateway applies
 * a cached policy to later requests with the same identity source (for a TOKEN authorizer,
 * the token alone), so a wider Deny would refuse that token on routes it never called.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 */
function calledResource(request: AuthorizerRequest): string {
  return request.methodArn?.startsWith('arn:') ? request.methodArn : NO_RESOURCE;
}

/** The formats API Gateway answers from an IAM policy (REST, and HTTP API payload 1.0). */
const usesPolicy = (request: AuthorizerRequest): boolean => request.format !== EventFormat.HttpApiV2;

export function allowResult(request: AuthorizerRequest, route: RouteConfig, context: EncodedAuthorizerContext): AuthorizerResult {
  if (!usesPolicy(request)) return { isAuthorized: true, context };
  return { principalId: context.subject || context.clientId || 'anonymous', policyDocument: policy('Allow', routeResource(request, route)), context };
}

/**
 * The status the caller receives for a refusal with this code's status: what the
 * decision line logs. HTTP API simple responses can only refuse with 403
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html);
 * an HTTP API payload 1.0 authorizer refuses with an explicit Deny, also 403.
 */
export function callerStatus(request: AuthorizerRequest, status: number): number {
  return request.format === EventFormat.RestRequest || request.format === EventFormat.RestToken ? status : 403;
}

/**
 * A refusal in the event's own terms. REST: 401 → throw "Unauthorized", 403 → an
 * explicit Deny for the called method (with the code in the context, for the
 * ACCESS_DENIED template). HTTP API simple responses have one refusal,
 * `isAuthorized: false`, which API Gateway answers with 403 whatever the reason. HTTP API
 * payload 1.0: always an explicit Deny (403); AWS documents the "Unauthorized" error as a
 * 401 for REST APIs only, so gatepass does not rely on it there (docs/design.md "Errors").
 */
export function denyResult(request: AuthorizerRequest, status: number, code: string): AuthorizerResult {
  if (request.format === EventFormat.HttpApiV2) return { isAuthorized: false };
  if (status === 401 && request.format !== EventFormat.HttpApiV1) throw new UnauthorizedSignal();
  return { principalId: 'denied', policyDocument: policy('Deny', calledResource(request)), context: { code } };
}
