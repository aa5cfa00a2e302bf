import { Annotations, Duration } from 'aws-cdk-lib';
import { HttpMethod, HttpRoute, HttpRouteKey, PayloadFormatVersion, type IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { RouteConfig } from '../../functions/shared/config/config-schema.js';
import { httpCorsPreflight } from '../cors-preflight.js';

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
  /** One API route per configured route; the API's other routes are left as they are. */
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
}

/**
 * The gatepass routes on an HTTP API gatepass does not own: the authorizer (simple responses)
 * and the exchange integration (payload format 2.0) on every configured route, and nothing
 * else. The API's stage, its other routes and its settings are untouched, so several teams'
 * routes can share one API. The stage must deploy the new routes: an `autoDeploy` stage does.
 */
export class GatepassHttpRoutes extends Construct implements HttpRouteWiring {
  public readonly authorizer: HttpLambdaAuthorizer;
  public readonly integration: HttpLambdaIntegration;
  /** The API routes by configured route id. */
  public readonly routes: Readonly<Record<string, HttpRoute>>;

  constructor(scope: Construct, id: string, props: GatepassHttpRoutesProps) {
    super(scope, id);
    // An HTTP API's CORS configuration is the API's, not gatepass's: the team sets it.
    if (httpCorsPreflight(props.routes) !== undefined) {
      Annotations.of(this).addWarningV2(
        'gatepass:cors',
        'routes have a cors block: pass `corsPreflight: httpCorsPreflight(routes)` (infra/index.ts) to your HttpApi, whose CORS configuration answers preflights for all its routes',
      );
    }
    ({ authorizer: this.authorizer, integration: this.integration, routes: this.routes } = wireHttpRoutes(this, props));
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
  const routes: Record<string, HttpRoute> = {};
  for (const route of props.routes) {
    routes[route.id] = new HttpRoute(scope, `Route-${route.id}`, {
      httpApi: props.httpApi,
      routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
      integration,
      authorizer,
    });
  }
  return { authorizer, integration, routes };
}
