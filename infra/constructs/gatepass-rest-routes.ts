import { Duration, Validations } from 'aws-cdk-lib';
import {
  AuthorizationType,
  GatewayResponse,
  IdentitySource,
  LambdaIntegration,
  RequestAuthorizer,
  type GatewayResponseOptions,
  type IResource,
  type IRestApi,
  type Method,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { RouteConfig } from '../../functions/shared/config/config-schema.js';
import { GATEWAY_PROBLEM_RESPONSES, PROBLEM_CONTENT_TYPE, type GatewayProblemResponse } from '../gateway-problem-responses.js';
import { restCorsPreflights } from '../cors-preflight.js';
import { gatewayRoutesOf } from '../../functions/shared/config/gateway-routes.js';
import { assertApiTypeFits, unauthenticatedRouteAcknowledgement } from '../gateway-routes.js';

/**
 * The authorizer's cache key: the token, the resource and the method. Without the route,
 * a decision for one route would be reused on another that requires different scopes.
 */
const REST_AUTHORIZER_IDENTITY_SOURCES = [
  IdentitySource.header('Authorization'),
  IdentitySource.context('resourcePath'),
  IdentitySource.context('httpMethod'),
] as const;

export interface GatepassRestRoutesProps {
  /**
   * The REST API to add the methods to: one in the same app, or one imported by id with
   * `RestApi.fromRestApiAttributes(this, 'Api', { restApiId, rootResourceId })`.
   */
  readonly restApi: IRestApi;
  /**
   * One method per configured route, plus a public `GET` metadata method per MCP route; the
   * API's other resources and methods are left as they are.
   */
  readonly routes: readonly RouteConfig[];
  readonly authorizerFunction: IFunction;
  readonly exchangeFunction: IFunction;
  /**
   * The resource the configured paths hang from. An imported API's existing resources are
   * not known to CDK, so a path under one must start from that resource
   * (`Resource.fromResourceAttributes`), or CloudFormation refuses the duplicate.
   * @default restApi.root
   */
  readonly parent?: IResource;
  /**
   * How long API Gateway reuses an authorizer decision for the same token and route.
   * `Duration.seconds(0)` turns the cache off.
   * @default Duration.seconds(60)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Answer gateway refusals (401, 403, throttling, …) in gatepass's problem+json shape.
   * Gateway responses belong to the whole API, so this changes the refusals of routes
   * gatepass does not own too; off, gatepass's refusals keep API Gateway's own body
   * (`{"message": …}`) and the same status.
   * @default false
   */
  readonly problemResponses?: boolean;
}

/** What wiring the methods creates; `GatepassRestApi` and `GatepassRestRoutes` expose it. */
export interface RestRouteWiring {
  readonly authorizer: RequestAuthorizer;
  readonly integration: LambdaIntegration;
  readonly methods: Readonly<Record<string, Method>>;
  /** The public protected resource metadata methods (RFC 9728) of MCP routes, by configured route id. */
  readonly metadataMethods: Readonly<Record<string, Method>>;
  /** The `OPTIONS` methods answering browser preflights, by path (routes with a `cors` block). */
  readonly preflights: Readonly<Record<string, Method>>;
}

/**
 * The gatepass methods on a REST API gatepass does not own: the REQUEST authorizer and the
 * exchange function (Lambda proxy) on every configured route, except MCP routes, which the
 * exchange function guards itself, each with a public metadata method (RFC 9728) integrated
 * with it too; and nothing else unless
 * `problemResponses` is on. The API's stage must be redeployed to serve them: a `RestApi`
 * in the same app does it itself; an imported one needs a new `Deployment` (docs/deploy.md
 * "Add gatepass to an API you already have").
 */
export class GatepassRestRoutes extends Construct implements RestRouteWiring {
  public readonly authorizer: RequestAuthorizer;
  public readonly integration: LambdaIntegration;
  /** The API methods by configured route id. */
  public readonly methods: Readonly<Record<string, Method>>;
  public readonly metadataMethods: Readonly<Record<string, Method>>;
  public readonly preflights: Readonly<Record<string, Method>>;
  /** The problem+json gateway responses, when `problemResponses` is on. */
  public readonly gatewayResponses: readonly GatewayResponse[];

  constructor(scope: Construct, id: string, props: GatepassRestRoutesProps) {
    super(scope, id);
    ({
      authorizer: this.authorizer,
      integration: this.integration,
      methods: this.methods,
      metadataMethods: this.metadataMethods,
      preflights: this.preflights,
    } = wireRestRoutes(this, props));
    this.gatewayResponses = props.problemResponses
      ? GATEWAY_PROBLEM_RESPONSES.map((response) => new GatewayResponse(this, response.id, { restApi: props.restApi, ...problemResponseOptions(response) }))
      : [];
  }
}

/**
 * Shared by `GatepassRestRoutes` and `GatepassRestApi`; a function rather than a child
 * construct so that the standalone API keeps the logical ids it always had.
 */
export function wireRestRoutes(scope: Construct, props: GatepassRestRoutesProps): RestRouteWiring {
  assertApiTypeFits(props.routes, 'rest');
  const corsPreflights = restCorsPreflights(props.routes);
  const authorizer = new RequestAuthorizer(scope, 'Authorizer', {
    authorizerName: 'gatepass',
    handler: props.authorizerFunction,
    identitySources: [...REST_AUTHORIZER_IDENTITY_SOURCES],
    resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(60),
  });
  // One API-wide invoke permission instead of one per method: a function's resource
  // policy is limited to 20 KB, which a few dozen method-scoped statements exhaust.
  const integration = new LambdaIntegration(props.exchangeFunction, { proxy: true, scopePermissionToMethod: false });
  const parent = props.parent ?? props.restApi.root;
  const methods: Record<string, Method> = {};
  const metadataMethods: Record<string, Method> = {};
  // MCP routes and their metadata paths are not the authorizer's (functions/shared/config/gateway-routes.ts):
  // an explicit NONE without an authorizer, which CDK does not replace with the API's default authorizer.
  // `/.well-known/oauth-protected-resource/…` is one more branch of the same resource tree.
  for (const apiRoute of gatewayRoutesOf(props)) {
    const guarded = apiRoute.guard === 'authorizer';
    const method = parent
      .resourceForPath(apiRoute.path)
      .addMethod(apiRoute.method, integration, guarded ? { authorizer, authorizationType: AuthorizationType.CUSTOM } : { authorizationType: AuthorizationType.NONE });
    if (apiRoute.kind === 'route') methods[apiRoute.routeId] = method;
    else metadataMethods[apiRoute.routeId] = method;
    if (guarded) {
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: AUTHORIZER_NOT_COGNITO_REASON });
    } else {
      Validations.of(method).acknowledge(
        unauthenticatedRouteAcknowledgement('AwsSolutions-APIG4', apiRoute.guard),
        unauthenticatedRouteAcknowledgement('AwsSolutions-COG4', apiRoute.guard),
      );
    }
  }
  const preflights: Record<string, Method> = {};
  for (const [path, options] of corsPreflights) {
    preflights[path] = parent.resourceForPath(path).addCorsPreflight(options);
    Validations.of(preflights[path]).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: 'A browser preflight carries no token by design (Fetch standard); API Gateway answers it from a MOCK integration, and the actual request still needs its token.' },
      { id: 'AwsSolutions-COG4', reason: 'A browser preflight carries no token by design; it never reaches the exchange function or the upstream.' },
    );
  }
  return { authorizer, integration, methods, metadataMethods, preflights };
}

const AUTHORIZER_NOT_COGNITO_REASON =
  'Callers present tokens from any configured issuer, not a Cognito user pool: the gatepass Lambda authorizer validates them.';

/** A gateway response in problem+json (infra/gateway-problem-responses.ts). */
export function problemResponseOptions(response: GatewayProblemResponse): GatewayResponseOptions {
  return {
    type: response.type,
    ...(response.statusCode === undefined ? {} : { statusCode: response.statusCode }),
    responseHeaders: Object.fromEntries(
      Object.entries({ 'Content-Type': PROBLEM_CONTENT_TYPE, ...response.headers }).map(([name, value]) => [name, `'${value}'`]),
    ),
    templates: { 'application/json': response.body },
  };
}
