/**
 * A real OAuth 2.0 authorization server for tests and the local stack: oidc-provider 9
 * (panva, a certified OpenID Provider) on 127.0.0.1 and an ephemeral port, with
 * - the RFC 8693 token exchange grant of token-exchange-grant.ts,
 * - the client_credentials grant (JWT access tokens for the default resource server, so
 *   the gateway's own token can be an actor token here),
 * - client authentication client_secret_basic, client_secret_post and private_key_jwt,
 *   each verified by oidc-provider itself (secret comparison, assertion signature, aud,
 *   exp, jti replay),
 * - discovery (/.well-known/openid-configuration) and its JWKS (/jwks).
 *
 *   const as = await startOAuthServer({ trustedIssuers, clients, resourceServers });
 *   as.tokenEndpoint; as.calls.token; await as.verify(token); await as.stop();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import { errors, Provider, type OidcContext } from 'oidc-provider';
import {
  registerTokenExchangeGrant,
  TOKEN_EXCHANGE_GRANT_TYPE,
  tokenExchangeExtraClaims,
  type ExchangeResourceServer,
  type TrustedIssuer,
} from './token-exchange-grant.js';
import { closeServer, listenOnLoopback } from '../loopback-server.js';

export type { ExchangeResourceServer, TrustedIssuer } from './token-exchange-grant.js';

export interface OAuthTestClient {
  readonly clientId: string;
  readonly auth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** client_secret_basic / client_secret_post. */
  readonly clientSecret?: string;
  /** private_key_jwt: the client's public keys. */
  readonly jwks?: { readonly keys: readonly JWK[] };
}

export interface OAuthServerOptions {
  readonly trustedIssuers?: readonly TrustedIssuer[];
  readonly clients: readonly OAuthTestClient[];
  /** Default: one resource server `https://api.test` / audience `api` with scopes read and write. */
  readonly resourceServers?: readonly ExchangeResourceServer[];
  /** Resource server for requests that name none (client_credentials included); default the first. */
  readonly defaultResource?: string;
  /** Signing algorithm of this server's tokens; default RS256. */
  readonly signingAlg?: 'RS256' | 'ES256' | 'EdDSA';
}

export interface TokenRequestRecord {
  readonly grantType: string;
  readonly clientId: string | undefined;
  /** `success` or the OAuth error code answered. */
  readonly outcome: string;
  /** The parameters oidc-provider kept for the grant (after client authentication). */
  readonly params: Readonly<Record<string, string | string[] | undefined>>;
  readonly authorizationHeader: boolean;
}

export interface OAuthServer {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  /** Requests received, by path and by token endpoint outcome. */
  readonly calls: { token: number; jwks: number; total: number };
  readonly tokenRequests: TokenRequestRecord[];
  /** Verifies a token this server issued (signature, iss, exp); its claims. */
  verify(token: string): Promise<JWTPayload>;
  /** A token this server could have issued itself (for same-issuer downscoping). */
  mint(claims: JWTPayload, expiresInSeconds?: number): Promise<string>;
  resetCounters(): void;
  stop(): Promise<void>;
}

const DEFAULT_RESOURCE_SERVERS: readonly ExchangeResourceServer[] = [{ identifier: 'https://api.test', audience: 'api', scopes: ['read', 'write'] }];

export async function startOAuthServer(options: OAuthServerOptions): Promise<OAuthServer> {
  const resourceServers = options.resourceServers ?? DEFAULT_RESOURCE_SERVERS;
  const defaultResource = options.defaultResource ?? resourceServers[0]?.identifier;
  const alg = options.signingAlg ?? 'RS256';
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `as-${alg.toLowerCase()}`;
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };

  const calls = { token: 0, jwks: 0, total: 0 };
  const tokenRequests: TokenRequestRecord[] = [];
  // The provider needs the issuer URL, which needs the port: the handler is set after listen.
  const handler: { app?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server = createServer((req, res) => {
    calls.total += 1;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/token') calls.token += 1;
    if (path === '/jwks') calls.jwks += 1;
    handler.app!(req, res);
  });
  // Above 1 s: Node clients drop sockets whose server keep-alive hint is 1 s, which would hide reuse.
  server.keepAliveTimeout = 5_000;
  const issuer = await listenOnLoopback(server, 0);

  const allScopes = [...new Set(resourceServers.flatMap((rs) => [...rs.scopes, ...(rs.extraScopes ?? [])]))];
  const findResource = (identifier: string) => resourceServers.find((rs) => rs.identifier === identifier);
  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      ...(client.clientSecret !== undefined ? { client_secret: client.clientSecret } : {}),
      ...(client.jwks ? { jwks: { keys: client.jwks.keys.map((k) => ({ ...k })) } } : {}),
      token_endpoint_auth_method: client.auth,
      grant_types: [TOKEN_EXCHANGE_GRANT_TYPE, 'client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: allScopes.join(' '),
    })),
    jwks: { keys: [privateJwk] },
    extraTokenClaims: tokenExchangeExtraClaims,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    scopes: ['openid', ...allScopes],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => defaultResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, identifier: string) => {
          const rs = findResource(identifier);
          if (!rs) throw new errors.InvalidTarget('unknown resource');
          return { audience: rs.audience, scope: rs.scopes.join(' '), accessTokenFormat: 'jwt', accessTokenTTL: rs.accessTokenTtl ?? 300 };
        },
      },
    },
    ttl: {
      AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? 300,
      ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? 300,
    },
    // Silence oidc-provider's "you should change this" notices for values tests do not use.
    cookies: { keys: ['gatepass-test-cookie-key'] },
  });
  const record = (ctx: OidcContext, outcome: string, authorization: boolean) => {
    const params = ctx.oidc?.params ?? {};
    tokenRequests.push({
      grantType: String(params['grant_type'] ?? ''),
      clientId: ctx.oidc?.client?.clientId,
      outcome,
      params: { ...params },
      authorizationHeader: authorization,
    });
  };
  type Ctx = OidcContext & { headers: Record<string, string | undefined> };
  provider.on('grant.success', (ctx: Ctx) => record(ctx, 'success', ctx.headers['authorization'] !== undefined));
  provider.on('grant.error', (ctx: Ctx, error: { error?: string }) => record(ctx, error.error ?? 'error', ctx.headers['authorization'] !== undefined));
  provider.on('server_error', (_ctx: Ctx, error: Error) => {
    console.error('oauth test server error', error);
  });

  registerTokenExchangeGrant(provider, {
    trustedIssuers: options.trustedIssuers ?? [],
    resourceServers,
    ownJwks: { keys: [publicJwk] },
    ...(defaultResource !== undefined ? { defaultResource } : {}),
  });
  handler.app = provider.callback();

  const ownKeys = createLocalJWKSet({ keys: [publicJwk] });
  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    calls,
    tokenRequests,
    verify: async (token) => (await jwtVerify(token, ownKeys, { issuer, typ: 'at+jwt' })).payload,
    mint: (claims, expiresInSeconds = 300) =>
      new SignJWT({ client_id: 'same-issuer-client', ...claims })
        .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setIssuedAt()
        .setJti(`mint-${Math.random().toString(36).slice(2)}`)
        .setExpirationTime(`${expiresInSeconds}s`)
        .sign(privateKey),
    resetCounters: () => {
      calls.token = 0;
      calls.jwks = 0;
      calls.total = 0;
      tokenRequests.length = 0;
    },
    stop: () => closeServer(server),
  };
}
