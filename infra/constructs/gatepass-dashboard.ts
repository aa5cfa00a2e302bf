import { Stack } from 'aws-cdk-lib';
import { AlarmStatusWidget, Dashboard, GraphWidget, Stats, type IAlarm, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { MetricDimension, MetricName, ServiceName } from '../../functions/shared/contracts/metric-names.js';
import { CACHE_LAYERS, DEFAULT_PERIOD, cacheHitMetric, gatepassMetric, searchByDimension } from '../gatepass-metrics.js';

export interface GatepassDashboardProps {
  readonly authorizer: IFunction;
  readonly exchange: IFunction;
  /**
   * Alarms shown in a status widget at the top.
   * @default - no alarm widget
   */
  readonly alarms?: readonly IAlarm[];
  /**
   * Dashboard name.
   * @default '<stack name>-gatepass'
   */
  readonly dashboardName?: string;
}

/** One page for gatepass: exchanges, cache hits by layer, errors by code, latencies, denials. */
export class GatepassDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: GatepassDashboardProps) {
    super(scope, id);
    const latency = (service: (typeof ServiceName)[keyof typeof ServiceName], name: MetricName): IMetric[] =>
      [Stats.p(50), Stats.p(90), Stats.p(99)].map((statistic) => gatepassMetric(service, name, { statistic, label: statistic }));
    const duration = (fn: IFunction, label: string) =>
      [Stats.p(50), Stats.p(99)].map((statistic) => fn.metricDuration({ statistic, period: DEFAULT_PERIOD, label: `${label} ${statistic}` }));

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${Stack.of(this).stackName}-gatepass`,
    });
    if (props.alarms && props.alarms.length > 0) {
      this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }));
    }
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Exchanges', left: [gatepassMetric(ServiceName.Exchange, MetricName.Exchanges, { label: 'requests' })], width: 6 }),
      new GraphWidget({ title: 'Cache hits by layer', left: CACHE_LAYERS.map((layer) => cacheHitMetric(layer)), stacked: true, width: 6 }),
      new GraphWidget({
        title: 'Exchange errors by code',
        left: [searchByDimension(ServiceName.Exchange, MetricName.ExchangeError, MetricDimension.Code, '')],
        width: 6,
      }),
      new GraphWidget({ title: 'Token endpoint latency (ms)', left: latency(ServiceName.Exchange, MetricName.TokenEndpointLatency), width: 6 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Authorizer decisions',
        left: ['exchange', 'passthrough'].map((action) =>
          gatepassMetric(ServiceName.Authorizer, MetricName.Allowed, { dimensions: { [MetricDimension.Action]: action }, label: `allowed: ${action}` }),
        ),
        right: [searchByDimension(ServiceName.Authorizer, MetricName.Denied, MetricDimension.Code, '')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Failures (not the caller\'s fault)',
        left: [
          gatepassMetric(ServiceName.Authorizer, MetricName.AuthorizerInternalError, { label: 'authorizer internal' }),
          gatepassMetric(ServiceName.Authorizer, MetricName.JwksFetchFailed, { label: 'JWKS fetch' }),
          gatepassMetric(ServiceName.Authorizer, MetricName.IntrospectionFailed, { label: 'introspection' }),
          gatepassMetric(ServiceName.Exchange, MetricName.CacheTableError, { label: 'cache table' }),
        ],
        width: 8,
      }),
      new GraphWidget({ title: 'Upstream latency (ms)', left: latency(ServiceName.Exchange, MetricName.UpstreamLatency), width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Function duration (ms)', left: [...duration(props.authorizer, 'authorizer'), ...duration(props.exchange, 'exchange')], width: 12 }),
      new GraphWidget({
        title: 'Invocations, errors, throttles',
        left: [props.authorizer, props.exchange].flatMap((fn, i) => {
          const name = i === 0 ? 'authorizer' : 'exchange';
          return [
            fn.metricInvocations({ period: DEFAULT_PERIOD, label: `${name} invocations` }),
            // A REST authorizer's Errors include every 401 it answers by throwing.
            fn.metricErrors({ period: DEFAULT_PERIOD, label: i === 0 ? 'authorizer errors (REST: includes 401s)' : 'exchange errors' }),
            fn.metricThrottles({ period: DEFAULT_PERIOD, label: `${name} throttles` }),
          ];
        }),
        width: 12,
      }),
    );
  }
}
