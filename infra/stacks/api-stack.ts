import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { ApiType } from '../deployment-settings.js';
import type { GatepassConfigSource } from '../gatepass-config-source.js';
import { GatepassAlarms } from '../constructs/gatepass-alarms.js';
import { GatepassDashboard } from '../constructs/gatepass-dashboard.js';
import { GatepassFunctions, type GatepassCacheState, type GatepassFunctionsProps, type LogLevel } from '../constructs/gatepass-functions.js';
import { GatepassHttpApi, type StageThrottle } from '../constructs/gatepass-http-api.js';
import { GatepassRestApi } from '../constructs/gatepass-rest-api.js';
import { assertApiTypeFits } from '../gateway-routes.js';

export interface ApiStackProps extends StackProps {
  /** The validated configuration: routes, issuers, authorization servers. */
  readonly config: GatepassConfigSource;
  /** The cache table, its key and the cache key secret (from the state stack). */
  readonly cache: GatepassCacheState;
  /**
   * `http` (HTTP API) or `rest` (REST API, problem+json refusals).
   * @default 'http'
   */
  readonly apiType?: ApiType;
  /**
   * API Gateway's authorizer result cache; `Duration.seconds(0)` turns it off.
   * @default Duration.seconds(60)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * X-Ray active tracing on the functions (and the REST stage).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Retention of function and access logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level of both functions.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Stage throttling.
   * @default DEFAULT_STAGE_THROTTLE (1000 requests/s, burst 2000)
   */
  readonly throttle?: StageThrottle;
  /**
   * ARN of an existing SNS topic for alarm notifications.
   * @default - none (see alarmEmail)
   */
  readonly alarmTopicArn?: string;
  /**
   * Subscribe this address to a new, encrypted topic for alarm notifications.
   * @default - no topic is created
   */
  readonly alarmEmail?: string;
  /**
   * REST only: create the account's API Gateway CloudWatch Logs role.
   * @default true
   */
  readonly restCloudWatchRole?: boolean;
  /**
   * Handler source files.
   * @default DEFAULT_HANDLER_ENTRIES (this repository's functions/)
   */
  readonly entries?: GatepassFunctionsProps['entries'];
}

/**
 * The stateless half of gatepass: both functions, the API (HTTP by default, or REST) with
 * one route per configured route, alarms and a dashboard.
 */
export class ApiStack extends Stack {
  public readonly functions: GatepassFunctions;
  public readonly api: GatepassHttpApi | GatepassRestApi;
  public readonly alarms: GatepassAlarms;
  public readonly dashboard: GatepassDashboard;
  /** The topic alarms notify, when one was given or created. */
  public readonly alarmTopic?: ITopic;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const apiType = props.apiType ?? 'http';
    // Checked before anything is bundled, so a bad route fails fast.
    assertApiTypeFits(props.config.config.routes, apiType);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.functions = new GatepassFunctions(this, 'Functions', {
      config: props.config,
      cache: props.cache,
      logRetention,
      ...(props.tracing === undefined ? {} : { tracing: props.tracing }),
      ...(props.logLevel === undefined ? {} : { logLevel: props.logLevel }),
      ...(props.entries === undefined ? {} : { entries: props.entries }),
    });

    const apiProps = {
      routes: props.config.config.routes,
      authorizerFunction: this.functions.authorizer,
      exchangeFunction: this.functions.exchange,
      accessLogRetention: logRetention,
      ...(props.authorizerCacheTtl === undefined ? {} : { authorizerCacheTtl: props.authorizerCacheTtl }),
      ...(props.throttle === undefined ? {} : { throttle: props.throttle }),
    };
    this.api =
      apiType === 'rest'
        ? new GatepassRestApi(this, 'RestApi', {
            ...apiProps,
            ...(props.tracing === undefined ? {} : { tracing: props.tracing }),
            ...(props.restCloudWatchRole === undefined ? {} : { cloudWatchRole: props.restCloudWatchRole }),
          })
        : new GatepassHttpApi(this, 'HttpApi', apiProps);

    this.alarmTopic = this.alarmTopicFrom(props);
    this.alarms = new GatepassAlarms(this, 'Alarms', {
      authorizer: this.functions.authorizer,
      exchange: this.functions.exchange,
      ...(this.alarmTopic === undefined ? {} : { topic: this.alarmTopic }),
    });
    this.dashboard = new GatepassDashboard(this, 'Dashboard', {
      authorizer: this.functions.authorizer,
      exchange: this.functions.exchange,
      alarms: this.alarms.all,
    });

    // What an operator needs without the console: docs/operations.md "Find the logs" uses these names.
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: `Invoke URL of the gatepass ${apiType.toUpperCase()} API` });
    new CfnOutput(this, 'ApiType', { value: apiType });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
    new CfnOutput(this, 'DashboardUrl', { value: dashboardConsoleUrl(this.region, this.dashboard.dashboard.dashboardName), description: 'CloudWatch console, the gatepass dashboard' });
    new CfnOutput(this, 'AuthorizerFunctionName', { value: this.functions.authorizer.functionName });
    new CfnOutput(this, 'ExchangeFunctionName', { value: this.functions.exchange.functionName });
    new CfnOutput(this, 'AuthorizerLogGroupName', { value: this.functions.authorizerLogGroup.logGroupName, description: 'authorizer.decision lines' });
    new CfnOutput(this, 'ExchangeLogGroupName', { value: this.functions.exchangeLogGroup.logGroupName, description: 'exchange.decision lines' });
    new CfnOutput(this, 'AccessLogGroupName', { value: this.api.accessLogGroup.logGroupName, description: 'API Gateway access log, one line per request' });
    new CfnOutput(this, 'CacheTableName', { value: props.cache.table.tableName, description: 'DynamoDB table of the exchange cache' });
  }

  private alarmTopicFrom(props: ApiStackProps): ITopic | undefined {
    if (props.alarmTopicArn !== undefined) return Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    if (props.alarmEmail === undefined) return undefined;
    const key = new Key(this, 'AlarmTopicKey', { description: 'gatepass alarm topic encryption', enableKeyRotation: true });
    // CloudWatch publishes to the encrypted topic, so it must be able to use the key.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    const topic = new Topic(this, 'AlarmTopic', { displayName: 'gatepass alarms', masterKey: key, enforceSSL: true });
    topic.addSubscription(new EmailSubscription(props.alarmEmail));
    return topic;
  }
}

/**
 * The address the CloudWatch console itself uses for a dashboard, in the commercial partition.
 * Not a documented API (no AWS page specifies it), so it could not be confirmed here without
 * an account; DashboardName is the stable output.
 */
function dashboardConsoleUrl(region: string, dashboardName: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboardName}`;
}
