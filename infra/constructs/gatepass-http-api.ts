import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { httpCorsPreflight } from '../cors-preflight.js';
import { wireHttpRoutes, type GatepassHttpRoutesProps } from './gatepass-http-routes.js';

export interface StageThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst bucket size. */
  readonly burstLimit: number;
}

export const DEFAULT_STAGE_THROTTLE: StageThrottle = { rateLimit: 1000, burstLimit: 2000 };

/** The routes' wiring, as `GatepassHttpRoutes` takes it, on the API this construct creates. */
export interface GatepassHttpApiProps extends Omit<GatepassHttpRoutesProps, 'httpApi'> {
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
 * A new HTTP API whose every route runs the gatepass authorizer (simple responses) and
 * then the exchange function (payload format 2.0), MCP routes and their public metadata
 * paths reaching the exchange function without the authorizer: the API, its `$default` stage with an
 * access log, and the routes as `GatepassHttpRoutes` wires them. To add gatepass to an API
 * you already have, use `GatepassHttpRoutes`.
 */
export class GatepassHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly authorizer: HttpLambdaAuthorizer;
  public readonly integration: HttpLambdaIntegration;
  /** The API routes by configured route id. */
  public readonly routes: Readonly<Record<string, HttpRoute>>;
  /** The public protected resource metadata routes (RFC 9728) of MCP routes, by configured route id. */
  public readonly metadataRoutes: Readonly<Record<string, HttpRoute>>;
  public readonly accessLogGroup: LogGroup;
  /** The invoke URL of the `$default` stage. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: GatepassHttpApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? DEFAULT_STAGE_THROTTLE;

    const corsPreflight = httpCorsPreflight(props.routes);
    this.api = new HttpApi(this, 'Api', {
      apiName: props.apiName ?? 'gatepass',
      description: 'gatepass: token exchange at the edge',
      createDefaultStage: false,
      ...(corsPreflight === undefined ? {} : { corsPreflight }),
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

    ({ authorizer: this.authorizer, integration: this.integration, routes: this.routes, metadataRoutes: this.metadataRoutes } = wireHttpRoutes(this, {
      ...props,
      httpApi: this.api,
    }));
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
