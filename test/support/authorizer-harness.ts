import { Authorizer } from '../../functions/authorizer/authorizer.js';
import { DECISION_EVENT, type Decision } from '../../functions/authorizer/authorizer-audit.js';
import { silentMetrics, type LogFields, type LogSink, type MetricSink } from '../../functions/shared/telemetry/telemetry-sinks.js';
import type { SecretReader } from '../../functions/shared/secrets/secret-reader.js';
import { parseConfig } from '../../functions/shared/config/config-validator.js';
import type { GatepassConfig } from '../../functions/shared/config/config-schema.js';
import { JwksServer } from '../../fakes/jwks-server.js';

export const PARTNER_ISSUER = 'https://idp.partner.example';
export const CORP_ISSUER = 'https://login.corp.example';
export const LEGACY_ISSUER = 'https://sso.legacy.example';

/**
 * The authorizer's log sink, read back: every decision and operational event, for
 * assertions. Only these typed lists are kept (property runs make hundreds of thousands).
 */
export class RecordingTelemetry {
  readonly decisions: Decision[] = [];
  readonly jwksFetches: { uri: string; keys: number; ignored: number }[] = [];
  readonly jwksFailures: { uri: string; error: string; reason: string }[] = [];
  readonly introspectionFailures: { issuer: string; reason: string }[] = [];

  readonly log: LogSink = {
    debug: () => undefined,
    info: (message, fields) => this.record(message, fields ?? {}),
    warn: (message, fields) => this.record(message, fields ?? {}),
    error: (message, fields) => this.record(message, fields ?? {}),
    decision: (_level, message, fields) => this.record(message, fields),
  };

  readonly metrics: MetricSink = silentMetrics;

  get last(): Decision | undefined {
    return this.decisions[this.decisions.length - 1];
  }

  private record(message: string, fields: LogFields): void {
    if (message === DECISION_EVENT) this.decisions.push(fields as Decision);
    else if (message === 'jwks.fetched') this.jwksFetches.push({ uri: fields['jwksUri'] as string, keys: fields['keys'] as number, ignored: fields['ignoredKeys'] as number });
    else if (message === 'jwks.fetch_failed') this.jwksFailures.push({ uri: fields['jwksUri'] as string, error: fields['error'] as string, reason: fields['reason'] as string });
    else if (message === 'introspection.failed') this.introspectionFailures.push({ issuer: fields['issuer'] as string, reason: fields['reason'] as string });
  }
}

export interface Idps {
  readonly partner: JwksServer;
  readonly corp: JwksServer;
  readonly legacy: JwksServer;
}

export async function startIdps(): Promise<Idps> {
  const [partner, corp, legacy] = await Promise.all([new JwksServer().start(), new JwksServer().start(), new JwksServer().start()]);
  return { partner, corp, legacy };
}

export async function stopIdps(idps: Idps): Promise<void> {
  await Promise.all([idps.partner.stop(), idps.corp.stop(), idps.legacy.stop()]);
}

/**
 * The test configuration: a partner IdP, the corporate AS (also an accepted issuer),
 * and a legacy IdP with opaque tokens; routes for each classification case.
 */
export function testConfigDocument(idps: Idps, overrides: { settings?: Record<string, unknown>; partner?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    version: 1,
    insecureLoopbackHttp: true,
    issuers: {
      partner: { issuer: PARTNER_ISSUER, jwksUri: idps.partner.jwksUri, audiences: ['https://api.example.com'], ...overrides.partner },
      corp: { issuer: CORP_ISSUER, jwksUri: idps.corp.jwksUri },
      legacy: {
        issuer: LEGACY_ISSUER,
        introspection: { endpoint: idps.legacy.introspectionEndpoint, clientSecretId: 'gatepass/legacy-introspection', cacheTtlSeconds: 60 },
      },
    },
    authorizationServers: {
      corp: { issuer: CORP_ISSUER, tokenEndpoint: `${idps.corp.origin}/token`, clientSecretId: 'gatepass/corp-exchange' },
    },
    routes: [
      {
        id: 'orders-read',
        method: 'GET',
        path: '/orders/{id}',
        upstream: 'http://127.0.0.1:9/orders',
        acceptedIssuers: ['partner', 'corp'],
        requiredScopes: ['orders:read'],
        exchange: { authorizationServer: 'corp', sameIssuerWhen: { hasScopes: ['orders:admin'] }, audience: ['orders-service'], scope: ['orders:read'] },
      },
      {
        id: 'orders-write',
        method: 'POST',
        path: '/orders',
        upstream: 'http://127.0.0.1:9/orders',
        acceptedIssuers: ['partner', 'corp'],
        requiredScopes: ['orders:write'],
        exchange: { authorizationServer: 'corp', scope: ['orders:write'] },
      },
      { id: 'health', method: 'GET', path: '/health', upstream: 'http://127.0.0.1:9/health', acceptedIssuers: ['corp'] },
      { id: 'reports', method: 'ANY', path: '/reports/{proxy+}', upstream: 'http://127.0.0.1:9/reports', acceptedIssuers: ['legacy'], requiredScopes: ['reports'] },
    ],
    settings: overrides.settings ?? {},
  };
}

export const LEGACY_SECRET = JSON.stringify({ client_id: 'gatepass', client_secret: 'legacy-s3cret' });

export function staticSecrets(values: Record<string, string>, calls: { id: string; forceFetch: boolean }[] = []): SecretReader {
  return async (id, { forceFetch }) => {
    calls.push({ id, forceFetch });
    const value = values[id];
    if (value === undefined) throw new Error(`no secret ${id}`);
    return value;
  };
}

export function buildAuthorizer(document: Record<string, unknown>, readSecret: SecretReader = staticSecrets({ 'gatepass/legacy-introspection': LEGACY_SECRET })) {
  const config: GatepassConfig = parseConfig(document);
  const telemetry = new RecordingTelemetry();
  return { authorizer: new Authorizer(config, { log: telemetry.log, metrics: telemetry.metrics, readSecret }), telemetry, config };
}
