import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
  type GatewayResponse,
  type LambdaIntegration,
  type Method,
  type RequestAuthorizer,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GATEWAY_PROBLEM_RESPONSES } from '../gateway-problem-responses.js';
import { DEFAULT_STAGE_THROTTLE, type StageThrottle } from './gatepass-http-api.js';
import { problemResponseOptions, wireRestRoutes, type GatepassRestRoutesProps } from './gatepass-rest-routes.js';

/**
 * The methods' wiring, as `GatepassRestRoutes` takes it, on the API this construct creates: from
 * its root, and always with problem+json gateway responses (the API is gatepass's own).
 */
export interface GatepassRestApiProps extends Omit<GatepassRestRoutesProps, 'restApi' | 'parent' | 'problemResponses'> {
  /**
   * Stage-wide throttling.
   * @default DEFAULT_STAGE_THROTTLE (1000 requests/s, burst 2000)
   */
  readonly throttle?: StageThrottle;
  /**
   * X-Ray tracing on the stage.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Retention of the access log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Stage name (part of the URL).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Create the account-wide role API Gateway uses to write REST API logs (one per account
   * and region; retained when the stack goes). Turn off when the account already has one.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * Name of the API.
   * @default 'gatepass'
   */
  readonly apiName?: string;
}

/**
 * A REST API whose every configured route runs the gatepass REQUEST authorizer and then the
 * exchange function (Lambda proxy integration); MCP routes and their public metadata paths
 * reach the exchange function without the authorizer. Refusals come back as problem+json.
 */
export class GatepassRestApi extends Construct {
  public readonly api: RestApi;
  public readonly authorizer: RequestAuthorizer;
  public readonly integration: LambdaIntegration;
  /** The API methods by configured route id. */
  public readonly methods: Readonly<Record<string, Method>>;
  /** The public protected resource metadata methods (RFC 9728) of MCP routes, by configured route id. */
  public readonly metadataMethods: Readonly<Record<string, Method>>;
  /** The `OPTIONS` methods answering browser preflights, by path (routes with a `cors` block). */
  public readonly preflights: Readonly<Record<string, Method>>;
  public readonly gatewayResponses: readonly GatewayResponse[];
  public readonly accessLogGroup: LogGroup;
  /** The invoke URL of the stage. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: GatepassRestApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? DEFAULT_STAGE_THROTTLE;
    const cloudWatchRole = props.cloudWatchRole ?? true;

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH });
    this.api = new RestApi(this, 'Api', {
      restApiName: props.apiName ?? 'gatepass',
      description: 'gatepass: token exchange at the edge',
      endpointTypes: [EndpointType.REGIONAL],
      // Every body is binary to API Gateway: requests reach the exchange function base64
      // encoded and byte-exact, and its base64 answers (isBase64Encoded) reach callers as
      // bytes, not as base64 text.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        tracingEnabled: props.tracing ?? false,
        // Errors only, never request data: execution logs at INFO or with data tracing
        // would write request headers, and so bearer tokens, to CloudWatch.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(REST_ACCESS_LOG_FIELDS)),
      },
    });
    if (cloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway assumes to write REST API access and execution logs; ' +
          'AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for it and API Gateway manages the log groups it names.',
      });
    }
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'gatepass is a proxy: the authorizer validates the only input it owns (the bearer token) and bodies and ' +
          'parameters belong to the upstream service, which validates them.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason: 'A WAF web ACL is a per-organisation choice; associate one with the stage outside gatepass (docs/deploy.md "Choose HTTP API or REST API").',
      },
    );
    // AwsSolutions-COG4 is acknowledged method by method in wireRestRoutes, each with who validates its tokens.

    ({
      authorizer: this.authorizer,
      integration: this.integration,
      methods: this.methods,
      metadataMethods: this.metadataMethods,
      preflights: this.preflights,
    } = wireRestRoutes(this, { ...props, restApi: this.api }));
    this.gatewayResponses = GATEWAY_PROBLEM_RESPONSES.map((response) => this.api.addGatewayResponse(response.id, problemResponseOptions(response)));
    this.url = this.api.url;
  }
}

/** Access log line: who, which route, what the authorizer decided, how long. Never a token. */
const REST_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  errorType: '$context.error.responseType',
  authorizerError: '$context.authorizer.error',
  authorizerLatency: '$context.authorizer.latency',
  route: '$context.authorizer.route',
  action: '$context.authorizer.action',
  issuer: '$context.authorizer.issuer',
  tokenId: '$context.authorizer.tokenId',
} as const;
