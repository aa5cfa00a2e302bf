import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadConfigFromEnv } from '../shared/config/config-loader.js';
import { METRICS_NAMESPACE, MetricName, ServiceName } from '../shared/metric-names.js';
import { Authorizer } from './authorizer.js';
import type { AuthorizerEvent } from './authorizer-event.js';
import type { AuthorizerResult } from './authorizer-response.js';
import { UnauthorizedSignal } from './authorizer-response.js';
import { powertoolsTelemetry } from './authorizer-telemetry.js';
import { powertoolsSecretReader } from './introspection-client.js';

// Init, once per container: a bad configuration fails here, loudly, before any request.
const config = loadConfigFromEnv();
const logger = new Logger({ serviceName: ServiceName.Authorizer });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: ServiceName.Authorizer });
const authorizer = new Authorizer(config, {
  telemetry: powertoolsTelemetry(logger, metrics),
  readSecret: powertoolsSecretReader(config.settings.exchange.secretMaxAgeSeconds),
});

/** Lambda REQUEST/TOKEN authorizer for REST APIs and HTTP APIs (payload 2.0, simple responses). */
export const handler = async (event: AuthorizerEvent): Promise<AuthorizerResult> => {
  try {
    return await authorizer.handle(event);
  } catch (error) {
    if (error instanceof UnauthorizedSignal) throw error;
    // Not a client mistake: a bug or an unsupported event. Nothing is allowed; API Gateway answers 500.
    logger.error('authorizer.internal_error', { error: (error as Error).name, reason: (error as Error).message });
    metrics.singleMetric().addMetric(MetricName.AuthorizerInternalError, MetricUnit.Count, 1);
    throw new Error('authorizer internal error', { cause: error });
  }
};
