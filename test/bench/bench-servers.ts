/**
 * The loopback world of sections 2 and 3, run in the bench's parent process so that the
 * children measuring gatepass count none of its CPU: the partner IdP's JWKS, the corporate
 * authorization server (oidc-provider with the RFC 8693 grant), dynalite with the cache
 * table, the Secrets Manager stand-in and the echo upstream. All on 127.0.0.1.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenIdOf } from '../../functions/shared/token-id.js';
import { startDynalite, type LocalDynamo } from '../../fakes/dynalite.js';
import { startEchoUpstream, type EchoUpstream } from '../../fakes/echo-upstream.js';
import { JwksServer } from '../../fakes/jwks-server.js';
import { startOAuthServer, type OAuthServer } from '../../fakes/oauth-server/oauth-server.js';
import { exchangeAwsEnv } from '../support/exchange-aws.js';
import { proxyEventV2 } from '../support/proxy-events.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../fakes/secrets-manager-server.js';
import { generateTestKey, type TestKey } from '../support/token-minter.js';
import {
  API_AUDIENCE,
  benchConfig,
  CACHE_KEY_MATERIAL,
  CACHE_KEY_SECRET_ID,
  CORP_CLIENT,
  CORP_SECRET_ID,
  lambdaEnv,
  mintPartnerTokens,
  PARTNER_ISSUER,
  ROUTE,
} from './bench-fixtures.js';

export interface BenchServers {
  readonly partnerKey: TestKey;
  readonly idp: JwksServer;
  readonly as: OAuthServer;
  readonly dynamo: LocalDynamo;
  readonly secrets: SecretsManagerServer;
  readonly echo: EchoUpstream;
  /** The configuration document both functions run with here. */
  config(settings?: Record<string, unknown>): Record<string, unknown>;
  /** Environment of the exchange function (cache table, key secret, AWS endpoints) minus the config source. */
  readonly exchangeEnv: Readonly<Record<string, string>>;
  /** `count` new partner tokens (RS256), each one a cache miss the first time. */
  mint(count: number, extra?: Record<string, unknown>): string[];
  stop(): Promise<void>;
}

export async function startBenchServers(): Promise<BenchServers> {
  const idp = await new JwksServer().start();
  const partnerKey = await generateTestKey('RS256', { kid: 'bench-partner' });
  idp.behaviour = { keys: [partnerKey.publicJwk] };
  const as = await startOAuthServer({
    trustedIssuers: [{ issuer: PARTNER_ISSUER, jwksUri: idp.jwksUri, audiences: [API_AUDIENCE] }],
    clients: [{ clientId: CORP_CLIENT.clientId, auth: 'client_secret_basic', clientSecret: CORP_CLIENT.clientSecret }],
    resourceServers: [{ identifier: 'https://orders.example', audience: 'orders', scopes: ['orders:read', 'orders:admin'], accessTokenTtl: 3600 }],
  });
  const dynamo = await startDynalite();
  const secrets = await startSecretsManagerServer({
    [CORP_SECRET_ID]: { client_id: CORP_CLIENT.clientId, client_secret: CORP_CLIENT.clientSecret },
    [CACHE_KEY_SECRET_ID]: CACHE_KEY_MATERIAL,
  });
  const echo = await startEchoUpstream();
  let minted = 0;
  return {
    partnerKey,
    idp,
    as,
    dynamo,
    secrets,
    echo,
    config: (settings = {}) =>
      benchConfig({ partnerJwksUri: idp.jwksUri, corpIssuer: as.issuer, corpJwksUri: as.jwksUri, corpTokenEndpoint: as.tokenEndpoint, upstream: echo.url }, ['RS256'], settings),
    exchangeEnv: {
      ...lambdaEnv('gatepass-exchange'),
      ...exchangeAwsEnv(dynamo, secrets, CACHE_KEY_SECRET_ID),
    },
    mint: (count, extra = {}) => {
      // numbered run-wide: no two calls ever mint the same token
      const tokens = mintPartnerTokens(partnerKey, count, extra, minted);
      minted += count;
      return tokens;
    },
    stop: async () => {
      await Promise.all([idp.stop(), as.stop(), dynamo.stop(), secrets.stop(), echo.close()]);
    },
  };
}

/** The HTTP API proxy event of an allowed exchange request on the bench route, as the authorizer's context makes it. */
export function exchangeEventFor(token: string, subject = 'user'): Record<string, unknown> {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return proxyEventV2({
    method: ROUTE.method,
    resource: ROUTE.path,
    path: '/orders/42',
    pathParameters: { id: '42' },
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    context: {
      route: ROUTE.id,
      action: 'exchange',
      issuer: 'partner',
      subject,
      clientId: 'partner-orders-app',
      scope: 'orders:read orders:list profile',
      expiresAt: exp,
      tokenId: tokenIdOf(token),
    },
  });
}

/** Writes the configuration where a bundle expects it (GATEPASS_CONFIG_FILE, relative to LAMBDA_TASK_ROOT). */
export function writeBundledConfig(dir: string, fileName: string, document: Record<string, unknown>): void {
  writeFileSync(join(dir, fileName), JSON.stringify(document));
}
