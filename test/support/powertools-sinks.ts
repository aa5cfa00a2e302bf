import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type ServiceName } from '../../functions/shared/contracts/metric-names.js';
import { redactingReplacer } from '../../functions/shared/telemetry/log-redaction.js';
import { powertoolsLogSink, powertoolsMetricSink, type LogSink, type MetricSink } from '../../functions/shared/telemetry/telemetry-sinks.js';

export interface PowertoolsSinks {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly log: LogSink;
  readonly metricSink: MetricSink;
}

/**
 * The sinks as both handlers build them (functions/authorizer/handler.ts,
 * functions/exchange/handler.ts): a Powertools Logger with the redaction net and a
 * Powertools Metrics, wrapped. For tests that compose parts the way a handler does.
 */
export function powertoolsSinks(serviceName: (typeof ServiceName)[keyof typeof ServiceName]): PowertoolsSinks {
  const logger = new Logger({ serviceName, jsonReplacerFn: redactingReplacer() });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, logger });
  return { logger, metrics, log: powertoolsLogSink(logger), metricSink: powertoolsMetricSink(metrics) };
}
