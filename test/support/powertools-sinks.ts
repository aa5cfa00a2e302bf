import type { Logger } from '@aws-lambda-powertools/logger';
import type { ServiceName } from '../../functions/shared/contracts/metric-names.js';
import { functionTelemetry } from '../../functions/shared/telemetry/decision-line.js';
import type { LogSink, MetricSink } from '../../functions/shared/telemetry/telemetry-sinks.js';

export interface PowertoolsSinks {
  readonly logger: Logger;
  readonly log: LogSink;
  readonly metricSink: MetricSink;
}

/**
 * The sinks exactly as both handlers build them (functionTelemetry): a Powertools Logger
 * with the redaction net for the operational lines, and the decision line that carries the
 * request's metrics as EMF. For tests that compose parts the way a handler does.
 */
export function powertoolsSinks(serviceName: (typeof ServiceName)[keyof typeof ServiceName]): PowertoolsSinks {
  const { logger, log, metrics } = functionTelemetry(serviceName);
  return { logger, log, metricSink: metrics };
}
