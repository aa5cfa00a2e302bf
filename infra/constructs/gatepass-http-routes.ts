import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import { HttpMethod, HttpNoneAuthorizer, HttpRoute, HttpRouteKey, PayloadFormatVersion, type IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { RouteConfig } from '../../functions/shared/config/config-schema.js';
import { httpCorsPreflight } from '../cors-preflight.js';
import { gatewayRoutesOf } from '../../functions/shared/config/gateway-routes.js';
import { unauthenticatedRouteAcknowledgement } from '../gateway-routes.js';

/**
 * The authorizer's cache key: the token and the route. Without the route, a decision for
 * one route would be reused on another that requires different scopes.
 */
export const HTTP_AUTHORIZER_IDENTITY_SOURCES = ['$request.header.Authorization', '$context.routeKey'] as const;

export interface GatepassHttpRoutesProps {
  /**
   * The HTTP API to add the routes to: one in the same app, or one imported by id with
   * `HttpApi.fromHttpApiAttributes(this, 'Api', { httpApiId })`.
   */
  readonly httpApi: IHttpApi;
  /**
   * One API route per configured route, plus a public `GET` metadata route per MCP route;
   * the API's other routes are left as they are.
   */
  readonly routes: readonly RouteConfig[];
  readonly authorizerFunction: IFunction;
  readonly exchangeFunction: IFunction;
  /**
   * How long API Gateway reuses an authorizer decision for the same token and route.
   * `Duration.seconds(0)` turns the cache off (every request invokes the authorizer).
   * @default Duration.seconds(60)
   */
  readonly authorizerCacheTtl?: Duration;
}

/** What wiring the routes creates; `GatepassHttpApi` and `GatepassHttpRoutes` expose it. */
export interface HttpRouteWiring {
  readonly authorizer: HttpLambdaAuthorizer;
  readonly integration: HttpLambdaIntegration;
  readonly routes: Readonly<Record<string, HttpRoute>>;
  /** The public protected resource metadata routes (RFC 9728) of MCP routes, by configured route id. */
  readonly metadataRoutes: Readonly<Record<string, HttpRoute>>;
}

/**
 * The gatepass routes on an HTTP API gatepass does not own: the authorizer (simple responses)
 * and the exchange integration (payload format 2.0) on every configured route, except MCP
 * routes, which the exchange function guards itself, each with a public metadata route
 * (RFC 9728) integrated with it too; and nothing else. The API's stage, its other routes and
 * its settings are untouched, so several teams' routes can share one API. The stage must
 * deploy the new routes: an `autoDeploy` stage does.
 */
export class GatepassHttpRoutes extends Construct implements HttpRouteWiring {
  public readonly authorizer: HttpLambdaAuthorizer;
  public readonly integration: HttpLambdaIntegration;
  /** The API routes by configured route id. */
  public readonly routes: Readonly<Record<string, HttpRoute>>;
  public readonly metadataRoutes: Readonly<Record<string, HttpRoute>>;

  constructor(scope: Construct, id: string, props: GatepassHttpRoutesProps) {
    super(scope, id);
    // An HTTP API's CORS configuration is the API's, not gatepass's: the team sets it.
    if (httpCorsPreflight(props.routes) !== undefined) {
      Annotations.of(this).addWarningV2(
        'gatepass:cors',
        'routes have a cors block: pass `corsPreflight: httpCorsPreflight(routes)` (infra/index.ts) to your HttpApi, whose CORS configuration answers preflights for all its routes',
      );
    }
    ({ authorizer: this.authorizer, integration: this.integration, routes: this.routes, metadataRoutes: this.metadataRoutes } = wireHttpRoutes(this, props));
  }
}

/**
 * Shared by `GatepassHttpRoutes` and `GatepassHttpApi`; a function rather than a child
 * construct so that the standalone API keeps the logical ids it always had (a replaced route
 * would collide with its own route key during the update).
 */
export function wireHttpRoutes(scope: Construct, props: GatepassHttpRoutesProps): HttpRouteWiring {
  const authorizer = new HttpLambdaAuthorizer('GatepassAuthorizer', props.authorizerFunction, {
    authorizerName: 'gatepass',
    responseTypes: [HttpLambdaResponseType.SIMPLE],
    identitySource: [...HTTP_AUTHORIZER_IDENTITY_SOURCES],
    resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(60),
  });
  // One API-wide invoke permission instead of one per route: a function's resource
  // policy is limited to 20 KB, which a few dozen route-scoped statements exhaust.
  const integration = new HttpLambdaIntegration('Exchange', props.exchangeFunction, {
    payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    scopePermissionToRoute: false,
  });
  // MCP routes and their metadata routes are not the authorizer's (functions/shared/config/gateway-routes.ts):
  // an explicit none authorizer, so an API's default authorizer is not put on them either.
  const noAuthorizer = new HttpNoneAuthorizer();
  const routes: Record<string, HttpRoute> = {};
  const metadataRoutes: Record<string, HttpRoute> = {};
  for (const apiRoute of gatewayRoutesOf(props)) {
    const route = new HttpRoute(scope, apiRoute.kind === 'route' ? `Route-${apiRoute.routeId}` : `McpMetadataRoute-${apiRoute.routeId}`, {
      httpApi: props.httpApi,
      routeKey: HttpRouteKey.with(apiRoute.path, HttpMethod[apiRoute.method]),
      integration,
      authorizer: apiRoute.guard === 'authorizer' ? authorizer : noAuthorizer,
    });
    if (apiRoute.kind === 'route') routes[apiRoute.routeId] = route;
    else metadataRoutes[apiRoute.routeId] = route;
    // (COG4, Cognito authorizers, checks REST methods only: nothing to acknowledge on an HTTP route.)
    if (apiRoute.guard !== 'authorizer') Validations.of(route).acknowledge(unauthenticatedRouteAcknowledgement('AwsSolutions-APIG4', apiRoute.guard));
  }
  return { authorizer, integration, routes, metadataRoutes };
}
