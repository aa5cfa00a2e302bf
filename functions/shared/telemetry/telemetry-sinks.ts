import type { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one telemetry style of gatepass: two small sinks every part writes to (the
 * authorizer, the token endpoint client, the cache, the forwarder, the audit lines).
 * Parts take them as collaborators; the two handler.ts files build them with
 * decision-line.ts (a Powertools `Logger` for operational lines, EMF metrics inside each
 * request's decision line), and tests pass recorders.
 * Fields must never hold a token or a secret; both functions' loggers also redact
 * (log-redaction.ts), but that is a safety net, not a licence.
 */

export type LogFields = Readonly<Record<string, unknown>>;

export type DecisionLevel = 'info' | 'warn' | 'error';

export interface LogSink {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /**
   * The request's one decision line (authorizer.decision, exchange.decision), last: the
   * handlers' sink (decision-line.ts) also puts the request's recorded metrics in it as EMF.
   */
  decision(level: DecisionLevel, message: string, fields: LogFields): void;
}

export type MetricDimensions = Readonly<Record<string, string>>;

/** Metric names come from functions/shared/contracts/metric-names.ts (the CDK alarms read the same list). */
export interface MetricSink {
  /** Records `value` (default 1) on a count; with dimensions, the set is { service, ...dimensions }. */
  count(name: string, dimensions?: MetricDimensions, value?: number): void;
  /** Records a duration in milliseconds. */
  timing(name: string, milliseconds: number, dimensions?: MetricDimensions): void;
  /** Publishes metrics recorded outside a decision line (init, an internal error) as one EMF line. */
  flush(): void;
}

const nothing = (): void => undefined;

/** Discards everything: the default when a collaborator is built without a sink. */
export const silentLog: LogSink = { debug: nothing, info: nothing, warn: nothing, error: nothing, decision: nothing };
export const silentMetrics: MetricSink = { count: nothing, timing: nothing, flush: nothing };

export function powertoolsLogSink(logger: Logger): LogSink {
  return {
    debug: (message, fields) => (fields ? logger.debug(message, { ...fields }) : logger.debug(message)),
    info: (message, fields) => (fields ? logger.info(message, { ...fields }) : logger.info(message)),
    warn: (message, fields) => (fields ? logger.warn(message, { ...fields }) : logger.warn(message)),
    error: (message, fields) => (fields ? logger.error(message, { ...fields }) : logger.error(message)),
    // Without a metric sink of its own: a plain line at its level (tests, tools). The handlers use decision-line.ts.
    decision: (level, message, fields) => logger[level](message, { ...fields }),
  };
}
