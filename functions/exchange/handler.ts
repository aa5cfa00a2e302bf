import type { Context } from 'aws-lambda';
import { loadConfigFromEnv } from '../shared/config/config-loader.js';
import { exchangeSecretBounds } from '../shared/secrets/secret-reader.js';
import { secretsManagerReader } from '../shared/secrets/secrets-manager-reader.js';
import { ServiceName } from '../shared/contracts/metric-names.js';
import { functionTelemetry } from '../shared/telemetry/decision-line.js';
import { ActorResolver } from './policy/actor-resolver.js';
import { ExchangeAudit } from './audit/exchange-audit.js';
import { createExchangeCache } from './cache/exchange-cache-setup.js';
import { ExchangeService } from './exchange-service.js';
import type { ProxyEvent } from './proxy/proxy-event.js';
import type { ProxyResult } from './proxy/proxy-result.js';
import { TokenExchangeClient } from './token-endpoint/token-endpoint-client.js';
import { UpstreamForwarder } from './forwarding/upstream-forwarder.js';
import { isMcpRoute } from '../shared/mcp/protected-resource.js';
import { TokenValidation } from '../shared/token-validation/token-validation.js';
import { validationTelemetry } from '../shared/token-validation/validation-telemetry.js';

// Init, once per container: configuration, telemetry, clients, keep-alive agents, cache keys.
const config = loadConfigFromEnv();
// Every part writes through these sinks; metrics go out as EMF inside each request's decision line.
const { log, metrics: metricSink } = functionTelemetry(ServiceName.Exchange);
// One Secrets Manager client for the client secrets, the cache key and (MCP routes) introspection credentials.
const readSecret = secretsManagerReader(exchangeSecretBounds(config.settings));

const tokenClient = new TokenExchangeClient({ config, log, metrics: metricSink, readSecret });
/**
 * MCP routes are validated here (docs/design.md "MCP servers"). TokenValidation is ≈ 27 KB of
 * the bundle: a configuration without MCP routes builds the function with `GATEPASS_BUNDLE_MCP`
 * defined as "false" (infra/bundling-options.ts), so that esbuild drops this branch and that code.
 */
const hasMcpRoutes = config.routes.some(isMcpRoute);
if (process.env['GATEPASS_BUNDLE_MCP'] === 'false' && hasMcpRoutes) {
  throw new Error('this exchange bundle was built without MCP token validation (GATEPASS_BUNDLE_MCP "false"), but the configuration has MCP routes: rebuild it from this configuration (bundleFeaturesOf, infra/bundling-options.ts)');
}
// The comparison stays inline: esbuild folds it only there.
const validation =
  process.env['GATEPASS_BUNDLE_MCP'] === 'false' || !hasMcpRoutes ? undefined : new TokenValidation(config, { readSecret, ...validationTelemetry(log, metricSink) });
const cache = createExchangeCache({ settings: config.settings, log, metrics: metricSink, readSecret });
await cache.prepare();
const service = new ExchangeService({
  config,
  tokenClient,
  actors: new ActorResolver({ config, gatewayTokens: tokenClient }),
  cache,
  forwarder: new UpstreamForwarder({ timeouts: config.settings.upstream, log, metrics: metricSink }),
  audit: new ExchangeAudit(log, metricSink),
  log,
  ...(validation ? { validation } : {}),
});

/** Leave this much of the Lambda's time to answer after the upstream call. */
const ANSWER_MARGIN_MS = 250;

/** API Gateway proxy integration (REST v1 and HTTP API payload 2.0): behind the gatepass authorizer, or guarding MCP routes itself. */
export const handler = async (event: ProxyEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ProxyResult> => {
  const remaining = context?.getRemainingTimeInMillis?.();
  const deadline = typeof remaining === 'number' ? Date.now() + remaining - ANSWER_MARGIN_MS : undefined;
  return service.handle(event, deadline);
};
