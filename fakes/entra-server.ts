/**
 * A Microsoft Entra ID stand-in for tests and the local stack: the On-Behalf-Of flow, RFC 7523
 * `jwt-bearer` (Entra has no RFC 8693 grant), on 127.0.0.1 and an ephemeral port, answering as
 * Entra's v2.0 endpoint documents:
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-on-behalf-of-flow
 * (source: https://github.com/MicrosoftDocs/entra-docs/blob/011a3309cbc87ea9f0601fac04d47425b60102d6/docs/identity-platform/v2-oauth2-on-behalf-of-flow.md).
 *
 * - `POST /<tenant>/oauth2/v2.0/token` requires `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`,
 *   `assertion` (the caller's access token), `requested_token_use=on_behalf_of`, `scope` and
 *   client_secret_post (`client_id` and `client_secret` in the body). Entra also accepts HTTP
 *   Basic; this stand-in does not, so a gateway configured for client_secret_post is held to it.
 * - The assertion must be a token of this tenant (signature checked against its own JWKS,
 *   `iss` the v2.0 issuer, `exp`) whose `aud` is the requesting app: its client id or App ID URI
 *   ("This token must have an audience (aud) claim of the app making this OBO request").
 * - `scope` is resource-prefixed (`api://orders/Orders.Read`), one resource per request, or
 *   `<resource>/.default` for every permission consented on that resource
 *   (https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#the-default-scope).
 * - Success: `{token_type: "Bearer", scope, expires_in, ext_expires_in, access_token}` and no
 *   `issued_token_type` (that is only in the SAML variant). `scope` keeps the prefix; a
 *   `.default` request lists the granted permissions then `<resource>/.default` (the shape of
 *   MSAL.NET's mock of a real answer: https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/blob/e4a7a2caff4235dce7a5dca7233bf9071beb40c6/tests/Microsoft.Identity.Test.Common/Core/Mocks/MockHelpers.cs).
 * - The access token is a v2.0 JWT signed by this tenant's key: `iss` the v2.0 issuer, `aud` the
 *   API's client id (v2.0 tokens always carry the client id), short `scp` (`Orders.Read`), `azp`
 *   the app that asked, `oid`, a per-application `sub`, `tid`, `ver: "2.0"`
 *   (https://github.com/MicrosoftDocs/entra-docs/blob/003f1aad061e882b17e07cfa8c7ec008d0385c3e/docs/identity-platform/access-token-claims-reference.md).
 * - Errors are AADSTS JSON (`application/json; charset=utf-8`): `{error, error_description
 *   ("AADSTS<n>: … Trace ID: … Correlation ID: … Timestamp: …"), error_codes, timestamp,
 *   trace_id, correlation_id, error_uri}` plus `suberror` where Entra sends one. Codes used, with
 *   evidence: 65001 invalid_grant + `suberror: consent_required` (https://github.com/MicrosoftDocs/azure-docs/issues/39189);
 *   7000215 invalid_client, HTTP 401, for a wrong secret (https://github.com/keycloak/keycloak/issues/31294);
 *   70003 unsupported_grant_type, e.g. for RFC 8693 (https://github.com/lakekeeper/lakekeeper/issues/967);
 *   900144 for a missing parameter, 50013 for a bad assertion signature or audience, 500133 for an
 *   expired assertion, 28000 for scopes of two resources, 700016 for an unknown client, 500011 for
 *   an unknown resource, 70011 for an unknown scope, 900561 for a request that is not a POST (codes
 *   as Entra's error pages and many user reports quote them; the exact wording of each
 *   description, and the status of 900561, are not confirmed by a capture).
 *
 * Hand-written on node:http with jose rather than oidc-provider: Entra's answers (tenant paths,
 * AADSTS error bodies, `ext_expires_in`, no `issued_token_type`) are not oidc-provider's shapes,
 * which a custom grant there would still answer with for client authentication failures.
 *
 *   const entra = await startEntraServer({ clients, apis });
 *   const callerToken = await entra.signIn({ user, audience: middleTier.clientId, scope: ['access_as_user'], clientApp });
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import { closeServer, listenOnLoopback } from './loopback-server.js';

export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const DEFAULT_SCOPE = '.default';
/** OpenID Connect scopes Entra accepts beside a resource's; never echoed as a resource scope. */
const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'offline_access']);

/** An API registered in the tenant (an app that exposes delegated permissions). */
export interface EntraApiRegistration {
  /** Its App ID URI, the prefix of its scopes: `api://orders`. */
  readonly appIdUri: string;
  /** Its application (client) id: the `aud` of the v2.0 tokens it gets. */
  readonly clientId: string;
  /** The delegated permissions it exposes, short form: `Orders.Read`. */
  readonly scopes: readonly string[];
  /** Issued token lifetime, seconds; default 3599. */
  readonly accessTokenTtl?: number;
}

/** A confidential client: the middle tier that redeems its callers' tokens. */
export interface EntraConfidentialClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly displayName?: string;
  /** Its own App ID URI: tokens for it may name this in `aud` instead of its client id. */
  readonly appIdUri?: string;
  /** Delegated permissions consented for it on other APIs, full form: `api://orders/Orders.Read`. */
  readonly consented: readonly string[];
}

export interface EntraServerOptions {
  /** Directory (tenant) id; default a fixed demo GUID. */
  readonly tenantId?: string;
  readonly clients: readonly EntraConfidentialClient[];
  readonly apis: readonly EntraApiRegistration[];
}

export interface EntraUser {
  /** Object id, the user's id across every app of the tenant. */
  readonly oid: string;
  readonly name?: string;
  readonly preferredUsername?: string;
}

export interface EntraSignIn {
  readonly user: EntraUser;
  /** Client id (or App ID URI) of the API the token is for: the `aud`. */
  readonly audience: string;
  /** Short scope names in `scp`: `access_as_user`. */
  readonly scope: readonly string[];
  /** The client application the user signed in to: the `azp`. */
  readonly clientApp: string;
  /** Default 3599; negative for a token that expired that long ago. */
  readonly expiresInSeconds?: number;
}

/** One token request as received, without secrets or tokens. */
export interface EntraTokenRequestRecord {
  readonly grantType: string;
  readonly clientId: string | undefined;
  /** How the client authenticated: secret in the body, Basic header, or neither. */
  readonly clientAuth: 'client_secret_post' | 'client_secret_basic' | 'none';
  readonly requestedTokenUse: string | undefined;
  readonly scope: string | undefined;
  /** Every form parameter name, sorted. */
  readonly parameterNames: readonly string[];
  /** `success` or the OAuth error answered. */
  readonly outcome: string;
  readonly errorCodes: readonly number[];
  /** The `trace_id` answered (also the `x-ms-request-id` header). */
  readonly traceId: string;
}

export interface EntraServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly tenantId: string;
  /** The v2.0 issuer: `<origin>/<tenant>/v2.0`. */
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  readonly tokenRequests: EntraTokenRequestRecord[];
  /** A user's access token as a sign-in to `clientApp` would yield it (Entra's auth code flow, which this stand-in skips). */
  signIn(request: EntraSignIn): Promise<string>;
  /** Verifies a token this tenant issued (signature, iss, exp); its claims. */
  verify(token: string): Promise<JWTPayload>;
  stop(): Promise<void>;
}

const DEMO_TENANT_ID = '8f0e6c1a-3d7b-4c2e-9a51-6b2d4e7f9c30';
const DEFAULT_TTL_SECONDS = 3599;

interface AadstsError {
  readonly status: number;
  readonly error: string;
  readonly code: number;
  readonly description: string;
  readonly suberror?: string;
}

const aadsts = (status: number, error: string, code: number, description: string, suberror?: string): AadstsError => ({
  status,
  error,
  code,
  description,
  ...(suberror !== undefined ? { suberror } : {}),
});
const missingParameter = (name: string) => aadsts(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);

class TokenRequestRefused extends Error {
  constructor(readonly answer: AadstsError) {
    super(answer.description);
  }
}

/** Entra's `timestamp` format: `2017-05-01 22:43:20Z`. */
const aadTimestamp = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;

/** The signed-in user a caller token names. */
const userOf = (claims: JWTPayload): EntraUser => ({
  oid: String(claims['oid']),
  ...(typeof claims['name'] === 'string' ? { name: claims['name'] } : {}),
  ...(typeof claims['preferred_username'] === 'string' ? { preferredUsername: claims['preferred_username'] } : {}),
});

/** Entra's `sub` is pairwise: the same user has another `sub` in each application's tokens. */
const pairwiseSubject = (oid: string, appId: string) => createHash('sha256').update(`${oid}|${appId}`).digest('base64url').slice(0, 43);

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

export async function startEntraServer(options: EntraServerOptions): Promise<EntraServer> {
  const tenantId = options.tenantId ?? DEMO_TENANT_ID;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `entra-${randomUUID().slice(0, 8)}`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig', kty: 'RSA' };
  const ownKeys = createLocalJWKSet({ keys: [publicJwk] });
  const tokenRequests: EntraTokenRequestRecord[] = [];

  const server = createServer((req, res) => void answer(req, res));
  server.keepAliveTimeout = 5_000;
  const origin = await listenOnLoopback(server, 0);
  const issuer = `${origin}/${tenantId}/v2.0`;
  const tokenPath = `/${tenantId}/oauth2/v2.0/token`;
  const jwksPath = `/${tenantId}/discovery/v2.0/keys`;
  const discoveryPath = `/${tenantId}/v2.0/.well-known/openid-configuration`;

  const sign = (claims: JWTPayload, expiresInSeconds: number) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, tid: tenantId, uti: randomUUID().replaceAll('-', '').slice(0, 22), ver: '2.0' })
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid })
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + expiresInSeconds)
      .sign(privateKey);
  };

  const userClaims = (user: EntraUser, appId: string) => ({
    oid: user.oid,
    sub: pairwiseSubject(user.oid, appId),
    ...(user.name !== undefined ? { name: user.name } : {}),
    ...(user.preferredUsername !== undefined ? { preferred_username: user.preferredUsername } : {}),
  });

  /** The caller's token must be this tenant's, unexpired, and for the app redeeming it. */
  const verifyAssertion = async (assertion: string, client: EntraConfidentialClient): Promise<JWTPayload> => {
    try {
      decodeJwt(assertion);
    } catch {
      throw new TokenRequestRefused(aadsts(400, 'invalid_grant', 50027, 'JWT token is invalid or malformed.'));
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, ownKeys, { issuer, requiredClaims: ['exp', 'oid'] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new TokenRequestRefused(aadsts(400, 'invalid_grant', 500133, 'Assertion is not within its valid time range.'));
      }
      throw new TokenRequestRefused(aadsts(400, 'invalid_grant', 50013, 'Assertion failed signature validation.'));
    }
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    if (!audiences.some((a) => a === client.clientId || (client.appIdUri !== undefined && a === client.appIdUri))) {
      throw new TokenRequestRefused(aadsts(400, 'invalid_grant', 50013, 'Assertion audience claim does not match the required value.'));
    }
    return payload;
  };

  /** The one API the scopes name, and the permissions granted on it. */
  const resolveScopes = (scope: string, client: EntraConfidentialClient): { api: EntraApiRegistration; granted: string[]; isDefault: boolean } => {
    const resourceScopes = scope.split(' ').filter((s) => s !== '' && !OIDC_SCOPES.has(s));
    if (resourceScopes.length === 0) throw new TokenRequestRefused(aadsts(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid.`));
    const parsed = resourceScopes.map((s) => {
      const slash = s.lastIndexOf('/');
      return { full: s, resource: slash > 0 ? s.slice(0, slash) : '', name: slash > 0 ? s.slice(slash + 1) : s };
    });
    const resources = new Set(parsed.map((p) => p.resource));
    if (resources.size > 1) {
      throw new TokenRequestRefused(
        aadsts(400, 'invalid_scope', 28000, 'Provided value for the input parameter scope is not valid because it contains more than one resource.'),
      );
    }
    const resource = parsed[0]!.resource;
    const api = options.apis.find((a) => a.appIdUri === resource);
    if (!api) {
      throw new TokenRequestRefused(aadsts(400, 'invalid_resource', 500011, `The resource principal named ${resource || '(none)'} was not found in the tenant named ${tenantId}.`));
    }
    const consented = new Set(client.consented.filter((c) => c.startsWith(`${api.appIdUri}/`)).map((c) => c.slice(api.appIdUri.length + 1)));
    const isDefault = parsed.some((p) => p.name === DEFAULT_SCOPE);
    const names = isDefault ? api.scopes.filter((s) => consented.has(s)) : parsed.map((p) => p.name);
    const unknown = names.find((n) => !api.scopes.includes(n));
    if (unknown !== undefined) {
      throw new TokenRequestRefused(aadsts(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${api.appIdUri}/${unknown} does not exist.`));
    }
    if (names.length === 0 || names.some((n) => !consented.has(n))) {
      throw new TokenRequestRefused(
        aadsts(
          400,
          'invalid_grant',
          65001,
          `The user or administrator has not consented to use the application with ID '${client.clientId}' named '${client.displayName ?? client.clientId}'. Send an interactive authorization request for this user and resource.`,
          'consent_required',
        ),
      );
    }
    return { api, granted: names, isDefault };
  };

  const onBehalfOf = async (form: URLSearchParams, basic: boolean): Promise<Record<string, unknown>> => {
    const grantType = form.get('grant_type');
    if (!grantType) throw new TokenRequestRefused(missingParameter('grant_type'));
    // This stand-in speaks On-Behalf-Of only; Entra answers an RFC 8693 request so too.
    if (grantType !== JWT_BEARER_GRANT_TYPE) {
      throw new TokenRequestRefused(aadsts(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`));
    }
    const clientId = form.get('client_id');
    if (!clientId) throw new TokenRequestRefused(missingParameter('client_id'));
    const client = options.clients.find((c) => c.clientId === clientId);
    if (!client) {
      throw new TokenRequestRefused(
        aadsts(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`),
      );
    }
    const secret = form.get('client_secret');
    if (secret === null) {
      const why = basic ? ' (this stand-in takes client_secret_post only)' : '';
      throw new TokenRequestRefused(aadsts(401, 'invalid_client', 7000218, `The request body must contain the following parameter: 'client_assertion' or 'client_secret'.${why}`));
    }
    if (secret !== client.clientSecret) {
      throw new TokenRequestRefused(
        aadsts(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
        ),
      );
    }
    const requestedTokenUse = form.get('requested_token_use');
    if (requestedTokenUse === null) throw new TokenRequestRefused(missingParameter('requested_token_use'));
    if (requestedTokenUse !== 'on_behalf_of') throw new TokenRequestRefused(aadsts(400, 'invalid_request', 9002313, 'Invalid request. Request is malformed or invalid.'));
    const assertion = form.get('assertion');
    if (!assertion) throw new TokenRequestRefused(missingParameter('assertion'));
    const scope = form.get('scope');
    if (!scope) throw new TokenRequestRefused(missingParameter('scope'));

    const caller = await verifyAssertion(assertion, client);
    const { api, granted, isDefault } = resolveScopes(scope, client);
    const ttl = api.accessTokenTtl ?? DEFAULT_TTL_SECONDS;
    const accessToken = await sign(
      {
        aud: api.clientId,
        azp: client.clientId,
        azpacr: '1', // the client authenticated with a secret
        ...userClaims(userOf(caller), api.clientId),
        scp: granted.join(' '),
      },
      ttl,
    );
    const answeredScope = [...granted.map((name) => `${api.appIdUri}/${name}`), ...(isDefault ? [`${api.appIdUri}/${DEFAULT_SCOPE}`] : [])].join(' ');
    return { token_type: 'Bearer', scope: answeredScope, expires_in: ttl, ext_expires_in: ttl, access_token: accessToken };
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache', pragma: 'no-cache', ...headers });
    res.end(text);
  };

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === jwksPath) return send(res, 200, { keys: [publicJwk] });
    if (req.method === 'GET' && path === discoveryPath) {
      return send(res, 200, { issuer, token_endpoint: `${origin}${tokenPath}`, jwks_uri: `${origin}${jwksPath}`, grant_types_supported: [JWT_BEARER_GRANT_TYPE] });
    }
    if (path !== tokenPath) return send(res, 404, { error: 'not_found' });

    const traceId = randomUUID();
    const clientRequestId = req.headers['client-request-id'];
    const correlationId = typeof clientRequestId === 'string' && clientRequestId !== '' ? clientRequestId : randomUUID();
    const form = new URLSearchParams(req.method === 'POST' ? body : '');
    const basic = /^Basic\s/i.test(req.headers.authorization ?? '');
    const record = (outcome: string, errorCodes: number[]) =>
      tokenRequests.push({
        grantType: form.get('grant_type') ?? '',
        clientId: form.get('client_id') ?? undefined,
        clientAuth: form.has('client_secret') ? 'client_secret_post' : basic ? 'client_secret_basic' : 'none',
        requestedTokenUse: form.get('requested_token_use') ?? undefined,
        scope: form.get('scope') ?? undefined,
        parameterNames: [...new Set(form.keys())].sort(),
        outcome,
        errorCodes,
        traceId,
      });
    const ids = { 'x-ms-request-id': traceId, 'client-request-id': correlationId };
    try {
      if (req.method !== 'POST') throw new TokenRequestRefused(aadsts(405, 'invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method} request.`));
      const success = await onBehalfOf(form, basic);
      record('success', []);
      send(res, 200, success, ids);
    } catch (error) {
      if (!(error instanceof TokenRequestRefused)) {
        send(res, 500, { error: 'server_error' }, ids);
        return;
      }
      const refusal = error.answer;
      const now = new Date();
      const timestamp = aadTimestamp(now);
      record(refusal.error, [refusal.code]);
      send(
        res,
        refusal.status,
        {
          error: refusal.error,
          error_description: `AADSTS${refusal.code}: ${refusal.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
          error_codes: [refusal.code],
          timestamp,
          trace_id: traceId,
          correlation_id: correlationId,
          error_uri: `${origin}/error?code=${refusal.code}`,
          ...(refusal.suberror !== undefined ? { suberror: refusal.suberror } : {}),
        },
        ids,
      );
    }
  }

  return {
    origin,
    tenantId,
    issuer,
    tokenEndpoint: `${origin}${tokenPath}`,
    jwksUri: `${origin}${jwksPath}`,
    tokenRequests,
    signIn: (request) =>
      sign({ aud: request.audience, azp: request.clientApp, azpacr: '0', ...userClaims(request.user, request.audience), scp: request.scope.join(' ') }, request.expiresInSeconds ?? DEFAULT_TTL_SECONDS),
    verify: async (token) => (await jwtVerify(token, ownKeys, { issuer })).payload,
    stop: () => closeServer(server),
  };
}
