import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Stats, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ErrorCode } from '../../functions/shared/errors.js';
import { MetricName, ServiceName } from '../../functions/shared/contracts/metric-names.js';
import { DEFAULT_PERIOD, exchangeErrorMetric, gatepassMetric } from '../gatepass-metrics.js';

/** Alarm thresholds; every count is per 5-minute period. */
export interface GatepassAlarmThresholds {
  /**
   * Authorizer failures that are not a client's fault (bugs, outages).
   * @default 1
   */
  readonly authorizerInternalErrors?: number;
  /**
   * Failed JWKS fetches plus failed introspection calls.
   * @default 5
   */
  readonly authorizerDependencyFailures?: number;
  /**
   * Unhandled errors of the exchange function (it answers refusals itself, so any is a bug).
   * @default 1
   */
  readonly exchangeFunctionErrors?: number;
  /**
   * `exchange_unavailable` answers: token endpoint down, slow, or its circuit open.
   * @default 5
   */
  readonly exchangeUnavailable?: number;
  /**
   * `gateway_misconfigured` answers: gatepass's own client credentials are rejected.
   * @default 1
   */
  readonly gatewayMisconfigured?: number;
  /**
   * Throttled invocations of either function.
   * @default 1
   */
  readonly throttles?: number;
  /**
   * DynamoDB cache failures (requests still succeed, exchanging directly).
   * @default 10
   */
  readonly cacheTableErrors?: number;
  /**
   * p99 authorizer duration, three periods in a row.
   * @default Duration.seconds(1)
   */
  readonly authorizerLatencyP99?: Duration;
  /**
   * p99 exchange duration (token endpoint plus upstream), three periods in a row.
   * @default Duration.seconds(10)
   */
  readonly exchangeLatencyP99?: Duration;
}

export interface GatepassAlarmsProps {
  readonly authorizer: IFunction;
  readonly exchange: IFunction;
  /**
   * Where alarm and recovery notifications go.
   * @default - no notifications; the alarms show in the console and on the dashboard
   */
  readonly topic?: ITopic;
  /** @default - the defaults of each threshold */
  readonly thresholds?: GatepassAlarmThresholds;
}

/**
 * The alarms an operator of gatepass needs. The authorizer is watched through gatepass's
 * own metrics, never its Lambda `Errors`: a REST authorizer says 401 by throwing, so that
 * metric counts every expired token (docs/design.md "Operations notes").
 */
export class GatepassAlarms extends Construct {
  public readonly authorizerInternalErrors: Alarm;
  public readonly authorizerDependencyFailures: Alarm;
  public readonly authorizerThrottles: Alarm;
  public readonly authorizerLatencyP99: Alarm;
  public readonly exchangeFunctionErrors: Alarm;
  public readonly exchangeUnavailable: Alarm;
  public readonly gatewayMisconfigured: Alarm;
  public readonly exchangeThrottles: Alarm;
  public readonly exchangeLatencyP99: Alarm;
  public readonly cacheTableErrors: Alarm;
  /** Every alarm above, for dashboards and notification wiring. */
  public readonly all: readonly Alarm[];

  constructor(scope: Construct, id: string, props: GatepassAlarmsProps) {
    super(scope, id);
    const t = props.thresholds ?? {};
    const prefix = Stack.of(this).stackName;
    const alarm = (name: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1) =>
      new Alarm(this, name, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    this.authorizerInternalErrors = alarm(
      'AuthorizerInternalErrors',
      gatepassMetric(ServiceName.Authorizer, MetricName.AuthorizerInternalError),
      t.authorizerInternalErrors ?? 1,
      'The gatepass authorizer failed for a reason that is not the caller\'s (a bug or an outage); callers got 500. See the authorizer logs.',
    );
    this.authorizerDependencyFailures = alarm(
      'AuthorizerDependencyFailures',
      new MathExpression({
        expression: 'FILL(jwks, 0) + FILL(introspection, 0)',
        usingMetrics: {
          jwks: gatepassMetric(ServiceName.Authorizer, MetricName.JwksFetchFailed),
          introspection: gatepassMetric(ServiceName.Authorizer, MetricName.IntrospectionFailed),
        },
        label: 'JWKS and introspection failures',
        period: DEFAULT_PERIOD,
      }),
      t.authorizerDependencyFailures ?? 5,
      'The authorizer could not fetch an issuer\'s JWKS or reach its introspection endpoint; tokens of that issuer are refused.',
    );
    this.authorizerThrottles = alarm(
      'AuthorizerThrottles',
      props.authorizer.metricThrottles({ period: DEFAULT_PERIOD, statistic: Stats.SUM }),
      t.throttles ?? 1,
      'Lambda throttled the authorizer (account or reserved concurrency exhausted); callers got 500.',
    );
    this.authorizerLatencyP99 = alarm(
      'AuthorizerLatencyP99',
      props.authorizer.metricDuration({ period: DEFAULT_PERIOD, statistic: Stats.p(99) }),
      (t.authorizerLatencyP99 ?? Duration.seconds(1)).toMilliseconds(),
      'p99 authorizer duration stayed high for 15 minutes: slow JWKS or introspection endpoints, or cold starts.',
      3,
    );
    this.exchangeFunctionErrors = alarm(
      'ExchangeFunctionErrors',
      props.exchange.metricErrors({ period: DEFAULT_PERIOD, statistic: Stats.SUM }),
      t.exchangeFunctionErrors ?? 1,
      'The exchange function crashed or timed out (it answers every refusal itself, so this is a bug or a timeout).',
    );
    this.exchangeUnavailable = alarm(
      'ExchangeUnavailable',
      exchangeErrorMetric(ErrorCode.ExchangeUnavailable),
      t.exchangeUnavailable ?? 5,
      'Callers got 503 exchange_unavailable: an authorization server\'s token endpoint is down, slow, or its circuit is open.',
    );
    this.gatewayMisconfigured = alarm(
      'GatewayMisconfigured',
      exchangeErrorMetric(ErrorCode.GatewayMisconfigured),
      t.gatewayMisconfigured ?? 1,
      'Callers got 500 gateway_misconfigured: an authorization server rejects gatepass\'s own client credentials (check the client secret).',
    );
    this.exchangeThrottles = alarm(
      'ExchangeThrottles',
      props.exchange.metricThrottles({ period: DEFAULT_PERIOD, statistic: Stats.SUM }),
      t.throttles ?? 1,
      'Lambda throttled the exchange function (account or reserved concurrency exhausted); callers got 500/503.',
    );
    this.exchangeLatencyP99 = alarm(
      'ExchangeLatencyP99',
      props.exchange.metricDuration({ period: DEFAULT_PERIOD, statistic: Stats.p(99) }),
      (t.exchangeLatencyP99 ?? Duration.seconds(10)).toMilliseconds(),
      'p99 exchange duration stayed high for 15 minutes: slow token endpoint or upstream (see TokenEndpointLatency and UpstreamLatency).',
      3,
    );
    this.cacheTableErrors = alarm(
      'CacheTableErrors',
      gatepassMetric(ServiceName.Exchange, MetricName.CacheTableError),
      t.cacheTableErrors ?? 10,
      'The DynamoDB cache failed and gatepass exchanged directly: requests succeed, but the token endpoint sees more load.',
    );

    this.all = [
      this.authorizerInternalErrors,
      this.authorizerDependencyFailures,
      this.authorizerThrottles,
      this.authorizerLatencyP99,
      this.exchangeFunctionErrors,
      this.exchangeUnavailable,
      this.gatewayMisconfigured,
      this.exchangeThrottles,
      this.exchangeLatencyP99,
      this.cacheTableErrors,
    ];
    if (props.topic) {
      const action = new SnsAction(props.topic);
      for (const a of this.all) {
        a.addAlarmAction(action);
        a.addOkAction(action);
      }
    }
  }
}
