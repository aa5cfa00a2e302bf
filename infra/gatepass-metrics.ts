import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { ErrorCode } from '../functions/shared/errors.js';
import { CacheLayer, METRICS_NAMESPACE, MetricDimension, MetricName, ServiceName } from '../functions/shared/contracts/metric-names.js';

/**
 * The functions' own EMF metrics as CloudWatch metric objects, named from the same
 * constants the functions emit with, so alarms and dashboard never read a metric
 * nobody writes.
 */
type Service = (typeof ServiceName)[keyof typeof ServiceName];

export const DEFAULT_PERIOD = Duration.minutes(5);

export function gatepassMetric(
  service: Service,
  metricName: MetricName,
  options: { dimensions?: Record<string, string>; statistic?: string; label?: string; period?: Duration } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [MetricDimension.Service]: service, ...options.dimensions },
    statistic: options.statistic ?? Stats.SUM,
    period: options.period ?? DEFAULT_PERIOD,
    ...(options.label === undefined ? {} : { label: options.label }),
  });
}

/** No label: an alarm on a labelled metric renders as a metric-math alarm. */
export function exchangeErrorMetric(code: ErrorCode): Metric {
  return gatepassMetric(ServiceName.Exchange, MetricName.ExchangeError, { dimensions: { [MetricDimension.Code]: code } });
}

export function cacheHitMetric(layer: CacheLayer): Metric {
  return gatepassMetric(ServiceName.Exchange, MetricName.CacheHit, { dimensions: { [MetricDimension.Layer]: layer }, label: layer });
}

export const CACHE_LAYERS: readonly CacheLayer[] = [CacheLayer.Memory, CacheLayer.Table, CacheLayer.Miss];

/**
 * Every series of a metric "by <dimension>" whatever its values (error codes, denial
 * codes): a dashboard-only SEARCH, since alarms cannot use one.
 */
export function searchByDimension(service: Service, metricName: MetricName, dimension: string, label: string): MathExpression {
  const schema = `{${METRICS_NAMESPACE},${MetricDimension.Service},${dimension}}`;
  return new MathExpression({
    expression: `SEARCH('${schema} MetricName="${metricName}" ${MetricDimension.Service}="${service}"', 'Sum', ${DEFAULT_PERIOD.toSeconds()})`,
    label,
    period: DEFAULT_PERIOD,
  });
}
