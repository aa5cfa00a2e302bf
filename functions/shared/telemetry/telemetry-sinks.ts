import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one telemetry style of gatepass: two small sinks every part writes to (the
 * authorizer, the token endpoint client, the cache, the forwarder, the audit lines).
 * Parts take them as collaborators; the two handler.ts files build the Powertools
 * `Logger` and `Metrics` and wrap them here, and tests pass recorders.
 * Fields must never hold a token or a secret; both functions' loggers also redact
 * (log-redaction.ts), but that is a safety net, not a licence.
 */

export type LogFields = Readonly<Record<string, unknown>>;

export interface LogSink {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type MetricDimensions = Readonly<Record<string, string>>;

/** Metric names come from functions/shared/contracts/metric-names.ts (the CDK alarms read the same list). */
export interface MetricSink {
  /** Adds `value` (default 1) to a count; with dimensions it is emitted on its own EMF line. */
  count(name: string, dimensions?: MetricDimensions, value?: number): void;
  /** Records a duration in milliseconds. */
  timing(name: string, milliseconds: number, dimensions?: MetricDimensions): void;
  /** Publishes the request's stored metrics (those without dimensions) as one EMF line; once per request, last. */
  flush(): void;
}

const nothing = (): void => undefined;

/** Discards everything: the default when a collaborator is built without a sink. */
export const silentLog: LogSink = { debug: nothing, info: nothing, warn: nothing, error: nothing };
export const silentMetrics: MetricSink = { count: nothing, timing: nothing, flush: nothing };

export function powertoolsLogSink(logger: Logger): LogSink {
  return {
    debug: (message, fields) => (fields ? logger.debug(message, { ...fields }) : logger.debug(message)),
    info: (message, fields) => (fields ? logger.info(message, { ...fields }) : logger.info(message)),
    warn: (message, fields) => (fields ? logger.warn(message, { ...fields }) : logger.warn(message)),
    error: (message, fields) => (fields ? logger.error(message, { ...fields }) : logger.error(message)),
  };
}

/**
 * Metrics without extra dimensions are stored and published with the request's other
 * metrics; a metric with dimensions goes out at once as a Powertools single metric, so
 * its dimension set is exactly { service, ...dimensions } (see metric-names.ts).
 */
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export function powertoolsMetricSink(metrics: Metrics): MetricSink {
  // One single-metric emitter per container: `singleMetric()` builds a new Metrics object
  // and Console on each call (≈ 50 µs, more CPU than verifying an RS256 signature). A
  // single metric publishes on addMetric and then clears its dimensions, so each line
  // carries only { service, its own dimensions }.
  const single = metrics.singleMetric();
  const emit = (name: string, unit: Unit, value: number, dimensions?: MetricDimensions) => {
    let dimensioned = false;
    // for...in, not Object.keys: no array per metric on the per-request path.
    for (const key in dimensions) {
      single.addDimension(key, dimensions[key]!);
      dimensioned = true;
    }
    if (dimensioned) single.addMetric(name, unit, value);
    else metrics.addMetric(name, unit, value);
  };
  return {
    count: (name, dimensions, value = 1) => emit(name, MetricUnit.Count, value, dimensions),
    timing: (name, milliseconds, dimensions) => emit(name, MetricUnit.Milliseconds, Math.max(0, milliseconds), dimensions),
    // An empty publish makes Powertools warn, so only when something is stored.
    flush: () => {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
