import { loadConfigFromEnv } from '../shared/config/config-loader.js';
import { MetricName, ServiceName } from '../shared/contracts/metric-names.js';
import { functionTelemetry } from '../shared/telemetry/decision-line.js';
import { Authorizer } from './authorizer.js';
import type { AuthorizerEvent } from './authorizer-event.js';
import type { AuthorizerResult } from './authorizer-response.js';
import { UnauthorizedSignal } from './authorizer-response.js';
import { lazySecretsManagerReader } from '../shared/secrets/lazy-secrets-manager-reader.js';
import { introspectionSecretBounds, type SecretReader } from '../shared/secrets/secret-reader.js';
import { IntrospectionUnavailableError } from '../shared/token-validation/introspection-client.js';

const refuseSecrets: SecretReader = () => Promise.reject(new IntrospectionUnavailableError('introspection is not in this bundle'));

// Init, once per container: a bad configuration fails here, loudly, before any request.
const config = loadConfigFromEnv();

/**
 * Introspection needs Powertools Parameters and the Secrets Manager client: 300 KB of a
 * 400 KB bundle. A deployment whose issuers all use JWTs builds the authorizer with
 * `GATEPASS_BUNDLE_INTROSPECTION` defined as "false" (infra/bundling-options.ts), so that
 * esbuild drops this branch and all of that code.
 */
// The comparison stays inline: esbuild folds it only there.
const introspectionSecrets: SecretReader | undefined =
  process.env['GATEPASS_BUNDLE_INTROSPECTION'] === 'false' ? undefined : lazySecretsManagerReader(introspectionSecretBounds(config.settings));
if (!introspectionSecrets && Object.values(config.issuers).some((issuer) => issuer.introspection !== undefined)) {
  throw new Error('this authorizer bundle was built without introspection, but the configuration has an issuer that introspects: rebuild it');
}
// Every part writes through these sinks; metrics go out as EMF inside each request's decision line.
const { log, metrics: metricSink } = functionTelemetry(ServiceName.Authorizer);
const authorizer = new Authorizer(config, {
  log,
  metrics: metricSink,
  readSecret: introspectionSecrets ?? refuseSecrets,
});

/** Lambda REQUEST/TOKEN authorizer for REST APIs and HTTP APIs (payload 2.0, simple responses). */
export const handler = async (event: AuthorizerEvent): Promise<AuthorizerResult> => {
  try {
    return await authorizer.handle(event);
  } catch (error) {
    if (error instanceof UnauthorizedSignal) throw error;
    // Not a client mistake: a bug or an unsupported event. Nothing is allowed; API Gateway answers 500.
    log.error('authorizer.internal_error', { error: (error as Error).name, reason: (error as Error).message });
    metricSink.count(MetricName.AuthorizerInternalError);
    metricSink.flush();
    throw new Error('authorizer internal error', { cause: error });
  }
};
