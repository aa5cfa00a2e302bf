import { Authorizer, type AuthorizerTelemetry, type Decision } from '../../functions/authorizer/authorizer.js';
import type { SecretReader } from '../../functions/shared/secrets/secret-reader.js';
import { parseConfig } from '../../functions/shared/config/config-validator.js';
import type { GatepassConfig } from '../../functions/shared/config/config-schema.js';
import { JwksServer } from '../../fakes/jwks-server.js';

export const PARTNER_ISSUER = 'https://idp.partner.example';
export const CORP_ISSUER = 'https://login.corp.example';
export const LEGACY_ISSUER = 'https://sso.legacy.example';

/** Records every decision and operational event, for assertions. */
export class RecordingTelemetry implements AuthorizerTelemetry {
  readonly decisions: Decision[] = [];
  readonly jwksFetches: { uri: string; keys: number; ignored: number }[] = [];
  readonly jwksFailures: { uri: string; error: Error }[] = [];
  readonly introspectionFailures: { issuer: string; error: Error }[] = [];

  decision(decision: Decision): void {
    this.decisions.push(decision);
  }
  jwksFetched(uri: string, keys: number, ignored: number): void {
    this.jwksFetches.push({ uri, keys, ignored });
  }
  jwksFailed(uri: string, error: Error): void {
    this.jwksFailures.push({ uri, error });
  }
  introspectionFailed(issuer: string, error: Error): void {
    this.introspectionFailures.push({ issuer, error });
  }
  get last(): Decision | undefined {
    return this.decisions[this.decisions.length - 1];
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
  return { authorizer: new Authorizer(config, { telemetry, readSecret }), telemetry, config };
}
