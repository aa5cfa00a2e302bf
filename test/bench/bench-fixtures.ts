/**
 * Shared inputs of the bench: the configuration document the sections deploy, and
 * realistic access tokens (RFC 9068 claims, ≈ 0.5–0.7 KB) signed with node:crypto.
 */
import type { TestKey } from '../support/token-minter.js';
import { signRaw } from '../support/token-minter.js';

export const PARTNER_ISSUER = 'https://idp.partner.example';
export const API_AUDIENCE = 'https://api.example.com';
export const REQUIRED_SCOPE = 'orders:read';
export const ROUTE = { id: 'orders-read', method: 'GET', path: '/orders/{id}' } as const;

export type BenchAlg = 'RS256' | 'ES256' | 'EdDSA';
export const BENCH_ALGS: readonly BenchAlg[] = ['RS256', 'ES256', 'EdDSA'];

/** Claims of the n-th partner token: unique `sub` and `jti`, so every token is first-seen. */
export function partnerClaims(n: number, nowSeconds: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: PARTNER_ISSUER,
    sub: `user-${n}`,
    aud: API_AUDIENCE,
    client_id: 'partner-orders-app',
    scope: 'orders:read orders:list profile',
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 3600,
    jti: `bench-${n}-${nowSeconds}`,
    ...extra,
  };
}

/** `count` tokens numbered from `first` (give each call its own range: equal numbers in one second make equal tokens). */
export function mintPartnerTokens(key: TestKey, count: number, extra: Record<string, unknown> = {}, first = 0): string[] {
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let n = first; n < first + count; n += 1) {
    tokens.push(signRaw(key, key.alg, { alg: key.alg, kid: key.kid, typ: 'at+jwt' }, partnerClaims(n, now, extra)));
  }
  return tokens;
}

export interface BenchEndpoints {
  readonly partnerJwksUri: string;
  /** The corporate authorization server (oidc-provider in sections 3 and 4). */
  readonly corpIssuer?: string;
  readonly corpJwksUri?: string;
  readonly corpTokenEndpoint?: string;
  /** Base URL of the upstream (the echo server in sections 3 and 4). */
  readonly upstream?: string;
}

export const CORP_CLIENT = { clientId: 'gatepass-bench', clientSecret: 'bench-client-secret-0123456789' } as const;
export const CORP_SECRET_ID = 'gatepass/corp-exchange';
export const CACHE_KEY_SECRET_ID = 'gatepass/cache-key';
export const CACHE_KEY_MATERIAL = 'bench-cache-key-material-'.padEnd(64, 'k');

/**
 * The deployed shape of a gatepass configuration: a partner IdP (cross-issuer, so its
 * tokens are exchanged), the corporate authorization server, the exchanging route, and a
 * pass-through route for corporate tokens.
 */
export function benchConfig(endpoints: BenchEndpoints, algorithms: readonly BenchAlg[], settings: Record<string, unknown> = {}): Record<string, unknown> {
  const corpIssuer = endpoints.corpIssuer ?? 'https://login.corp.example';
  const upstream = endpoints.upstream ?? 'https://orders.internal.example';
  return {
    version: 1,
    insecureLoopbackHttp: true,
    issuers: {
      partner: { issuer: PARTNER_ISSUER, jwksUri: endpoints.partnerJwksUri, audiences: [API_AUDIENCE], algorithms: [...algorithms], tokenTypes: ['at+jwt'] },
      corp: { issuer: corpIssuer, jwksUri: endpoints.corpJwksUri ?? 'https://login.corp.example/oauth2/jwks', algorithms: ['RS256'] },
    },
    authorizationServers: {
      corp: {
        issuer: corpIssuer,
        tokenEndpoint: endpoints.corpTokenEndpoint ?? 'https://login.corp.example/oauth2/token',
        clientAuth: 'client_secret_basic',
        clientSecretId: CORP_SECRET_ID,
      },
    },
    routes: [
      {
        ...ROUTE,
        upstream: `${upstream}/orders-svc`,
        acceptedIssuers: ['partner', 'corp'],
        requiredScopes: [REQUIRED_SCOPE],
        exchange: {
          authorizationServer: 'corp',
          sameIssuerWhen: { hasScopes: ['orders:admin'] },
          audience: ['orders'],
          resource: ['https://orders.example'],
          scope: [REQUIRED_SCOPE],
          flow: 'federation',
          owner: 'orders-team',
          justification: 'partner order lookups',
        },
      },
      { id: 'orders-health', method: 'GET', path: '/orders/health', upstream: `${upstream}/orders-svc`, acceptedIssuers: ['partner', 'corp'] },
    ],
    settings,
  };
}

/** Environment the CDK stack gives both functions (infra/constructs/gatepass-functions.ts), minus the config source. */
export function lambdaEnv(service: string): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: service,
    POWERTOOLS_METRICS_NAMESPACE: 'gatepass',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_LAMBDA_FUNCTION_NAME: service,
    AWS_REGION: 'us-east-1',
  };
}
