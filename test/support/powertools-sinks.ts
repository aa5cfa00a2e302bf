import { Logger } from '@aws-lambda-powertools/logger';
import { METRICS_NAMESPACE, type ServiceName } from '../../functions/shared/contracts/metric-names.js';
import { decisionLineTelemetry } from '../../functions/shared/telemetry/decision-line.js';
import { redactingReplacer } from '../../functions/shared/telemetry/log-redaction.js';
import type { LogSink, MetricSink } from '../../functions/shared/telemetry/telemetry-sinks.js';

export interface PowertoolsSinks {
  readonly logger: Logger;
  readonly log: LogSink;
  readonly metricSink: MetricSink;
}

/**
 * The sinks as both handlers build them (functions/authorizer/handler.ts,
 * functions/exchange/handler.ts): a Powertools Logger with the redaction net for the
 * operational lines, and the decision line that carries the request's metrics as EMF.
 * For tests that compose parts the way a handler does.
 */
export function powertoolsSinks(serviceName: (typeof ServiceName)[keyof typeof ServiceName]): PowertoolsSinks {
  const logger = new Logger({ serviceName, jsonReplacerFn: redactingReplacer() });
  const { log, metrics } = decisionLineTelemetry({ logger, namespace: METRICS_NAMESPACE, serviceName });
  return { logger, log, metricSink: metrics };
}
