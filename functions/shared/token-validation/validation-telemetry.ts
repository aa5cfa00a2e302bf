import { MetricName } from '../contracts/metric-names.js';
import type { LogSink, MetricSink } from '../telemetry/telemetry-sinks.js';
import { jwtFailurePhrase } from './jwt-errors.js';
import type { TokenValidationOptions } from './token-validation.js';

/**
 * What a TokenValidation's dependencies report (JWKS fetches and failures, introspection
 * failures), logged and counted the same way by whichever function validates.
 */
export function validationTelemetry(log: LogSink, metrics: MetricSink): Required<Pick<TokenValidationOptions, 'jwksObserver' | 'introspectionFailed'>> {
  return {
    jwksObserver: {
      fetched(uri, keys, ignored) {
        log.info('jwks.fetched', { jwksUri: uri, keys, ignoredKeys: ignored });
      },
      failed(uri, error) {
        // aws-jwt-verify's errors have no name of their own: `error` says what failed, `reason` the detail.
        log.error('jwks.fetch_failed', { jwksUri: uri, error: jwtFailurePhrase(error), reason: error.message });
        metrics.count(MetricName.JwksFetchFailed);
      },
    },
    introspectionFailed(issuer, error) {
      log.error('introspection.failed', { issuer, error: error.name, reason: error.message });
      metrics.count(MetricName.IntrospectionFailed);
    },
  };
}
