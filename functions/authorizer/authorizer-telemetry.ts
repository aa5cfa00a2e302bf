import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { MetricDimension, MetricName } from '../shared/contracts/metric-names.js';
import type { AuthorizerTelemetry, Decision } from './authorizer.js';

/**
 * Powertools-backed telemetry: one `authorizer.decision` line per request and EMF
 * metrics (allowed by action, denied by code). Alarms use these, never the Lambda
 * `Errors` metric, which counts every REST 401 (docs/design.md "Operations notes").
 */
export function powertoolsTelemetry(logger: Logger, metrics: Metrics): AuthorizerTelemetry {
  // One single-metric emitter for the container's life: `singleMetric()` builds a new
  // Metrics object (and a new Console) on each call, which cost more CPU than verifying
  // an RS256 signature. A single metric publishes on addMetric and then clears its
  // request dimensions, so each decision's line carries only { service, its dimension }.
  const single = metrics.singleMetric();
  const count = (name: string, dimension: string, value: string) => {
    single.addDimension(dimension, value);
    single.addMetric(name, MetricUnit.Count, 1);
  };
  return {
    decision(decision: Decision) {
      if (decision.outcome === 'allow') {
        logger.info('authorizer.decision', { ...decision });
        count(MetricName.Allowed, MetricDimension.Action, decision.action ?? 'unknown');
      } else {
        logger.warn('authorizer.decision', { ...decision });
        count(MetricName.Denied, MetricDimension.Code, decision.outcome);
      }
    },
    jwksFetched(uri, keys, ignored) {
      logger.info('jwks.fetched', { jwksUri: uri, keys, ignoredKeys: ignored });
    },
    jwksFailed(uri, error) {
      logger.error('jwks.fetch_failed', { jwksUri: uri, error: error.name, reason: error.message });
      single.addMetric(MetricName.JwksFetchFailed, MetricUnit.Count, 1);
    },
    introspectionFailed(issuer, error) {
      logger.error('introspection.failed', { issuer, error: error.name, reason: error.message });
      single.addMetric(MetricName.IntrospectionFailed, MetricUnit.Count, 1);
    },
  };
}
