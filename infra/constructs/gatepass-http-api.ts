import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpRoute, HttpRouteKey, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteConfig } from '../../functions/shared/config/config-schema.js';

/**
 * The authorizer's cache key: the token and the route. Without the route, a decision for
 * one route would be reused on another that requires different scopes.
 */
export const HTTP_AUTHORIZER_IDENTITY_SOURCES = ['$request.header.Authorization', '$context.routeKey'] as const;

export interface StageThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst bucket size. */
  readonly burstLimit: number;
}

export const DEFAULT_STAGE_THROTTLE: StageThrottle = { rateLimit: 1000, burstLimit: 2000 };

export interface GatepassHttpApiProps {
  /** One API route per configured route. */
  readonly routes: readonly RouteConfig[];
  readonly authorizerFunction: IFunction;
  readonly exchangeFunction: IFunction;
  /**
   * How long API Gateway reuses an authorizer decision for the same token and route.
   * `Duration.seconds(0)` turns the cache off (every request invokes the authorizer).
   * @default Duration.seconds(60)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Stage-wide throttling.
   * @default DEFAULT_STAGE_THROTTLE (1000 requests/s, burst 2000)
   */
  readonly throttle?: StageThrottle;
  /**
   * Retention of the access log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Name of the API.
   * @default 'gatepass'
   */
  readonly apiName?: string;
}

/**
 * An HTTP API whose every route runs the gatepass authorizer (simple responses) and
 * then the exchange function (payload format 2.0).
 */
export class GatepassHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly authorizer: HttpLambdaAuthorizer;
  public readonly integration: HttpLambdaIntegration;
  /** The API routes by configured route id. */
  public readonly routes: Readonly<Record<string, HttpRoute>>;
  public readonly accessLogGroup: LogGroup;
  /** The invoke URL of the `$default` stage. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: GatepassHttpApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? DEFAULT_STAGE_THROTTLE;

    this.api = new HttpApi(this, 'Api', {
      apiName: props.apiName ?? 'gatepass',
      description: 'gatepass: token exchange at the edge',
      createDefaultStage: false,
    });
    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FIELDS)),
      },
    });

    this.authorizer = new HttpLambdaAuthorizer('GatepassAuthorizer', props.authorizerFunction, {
      authorizerName: 'gatepass',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [...HTTP_AUTHORIZER_IDENTITY_SOURCES],
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(60),
    });
    // One API-wide invoke permission instead of one per route: a function's resource
    // policy is limited to 20 KB, which a few dozen route-scoped statements exhaust.
    this.integration = new HttpLambdaIntegration('Exchange', props.exchangeFunction, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      scopePermissionToRoute: false,
    });

    const routes: Record<string, HttpRoute> = {};
    for (const route of props.routes) {
      routes[route.id] = new HttpRoute(this, `Route-${route.id}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: this.integration,
        authorizer: this.authorizer,
      });
    }
    this.routes = routes;
    this.url = this.stage.url;
  }
}

/** Access log line: who, which route, what the authorizer decided, how long. Never a token. */
const HTTP_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  route: '$context.authorizer.route',
  action: '$context.authorizer.action',
  issuer: '$context.authorizer.issuer',
  tokenId: '$context.authorizer.tokenId',
} as const;
