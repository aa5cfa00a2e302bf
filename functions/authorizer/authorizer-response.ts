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

/**
 * The resource a REST policy covers: only the matched route (path parameters as
 * wildcards), so an allow cached by API Gateway never opens another route.
 */
function routeResource(request: AuthorizerRequest, route: RouteConfig | undefined): string {
  if (!request.arnPrefix) return 'arn:aws:execute-api:*:*:none/none/NONE/none';
  if (!route) return `${request.arnPrefix}/*/*`;
  return routeResourceArn(request.arnPrefix, route);
}

export function allowResult(request: AuthorizerRequest, route: RouteConfig, context: EncodedAuthorizerContext): AuthorizerResult {
  if (request.format === EventFormat.HttpApiV2) return { isAuthorized: true, context };
  return { principalId: context.subject || context.clientId || 'anonymous', policyDocument: policy('Allow', routeResource(request, route)), context };
}

/**
 * The status the caller receives for a refusal with this code's status: what the
 * decision line logs. HTTP API simple responses can only refuse with 403
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 */
export function callerStatus(request: AuthorizerRequest, status: number): number {
  return request.format === EventFormat.HttpApiV2 ? 403 : status;
}

/**
 * A refusal in the event's own terms. REST: 401 → throw "Unauthorized", 403 → an
 * explicit Deny for the route (with the code in the context, for the ACCESS_DENIED
 * template). HTTP API simple responses have one refusal, `isAuthorized: false`,
 * which API Gateway answers with 403 whatever the reason.
 */
export function denyResult(request: AuthorizerRequest, status: number, code: string): AuthorizerResult {
  if (request.format === EventFormat.HttpApiV2) return { isAuthorized: false };
  if (status === 401) throw new UnauthorizedSignal();
  return { principalId: 'denied', policyDocument: policy('Deny', routeResource(request, request.route)), context: { code } };
}
