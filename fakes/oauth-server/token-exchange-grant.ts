/**
 * An RFC 8693 token exchange grant for oidc-provider (which has none built in), registered
 * with `provider.registerGrantType`. It behaves like a strict real authorization server:
 *
 * - the subject token (and the actor token, when sent) must be a JWT signed by a trusted
 *   issuer (keys from its JWKS URI or a given key set) or by this server itself, with `exp`
 *   and `sub`; otherwise `invalid_grant`;
 * - `subject_token_type`/`actor_token_type` must be access_token or jwt (`invalid_request`);
 *   `requested_token_type` access_token (default) or jwt;
 * - `resource` (URIs) and `audience` (logical names, repeatable) must together name exactly
 *   one configured resource server (`invalid_target`); none named: `defaultResource`;
 * - requested scopes must belong to that resource server, and for a subject token this
 *   server issued (downscoping) also to the subject token (`invalid_scope`); no scope
 *   requested: the resource server's scopes (∩ the subject's for downscoping);
 * - with an actor token the issued token carries `act: {sub, iss}` and the subject token's
 *   previous `act` nested inside it (RFC 8693 §4.1); a subject `may_act` that the actor does
 *   not match is `invalid_grant` (§4.4);
 * - the issued token is a JWT access token (`typ: at+jwt`) signed by this server, `sub` the
 *   subject's, `aud` the resource server's audience, answered as
 *   {access_token, issued_token_type, token_type, expires_in, scope}.
 *
 * oidc-provider computes a token's extra claims in `extraTokenClaims` at save time, so the
 * provider must be configured with `extraTokenClaims: tokenExchangeExtraClaims` for `act`
 * to reach the issued token.
 *
 * Test knobs on a resource server: `extraScopes` (a lax server adds them to every token) and
 * `omitScopeInResponse` (the answer leaves `scope` out). Reused by the local stack (#5).
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { errors, type OidcContext, type Provider } from 'oidc-provider';

export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ACCEPTED_INPUT_TYPES = new Set([ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE]);

export interface TrustedIssuer {
  readonly issuer: string;
  /** Where its keys are (fetched on demand, as a real server would). */
  readonly jwksUri?: string;
  /** Or the keys themselves. */
  readonly jwks?: JSONWebKeySet;
  /** When given, the token's `aud` must include one of these. */
  readonly audiences?: readonly string[];
}

export interface ExchangeResourceServer {
  /** The resource indicator (RFC 8707), an absolute URI. */
  readonly identifier: string;
  /** Logical name for the `audience` parameter, and the issued token's `aud`. */
  readonly audience: string;
  /** Scopes this resource server knows. */
  readonly scopes: readonly string[];
  /** Issued token lifetime (seconds); default 300. */
  readonly accessTokenTtl?: number;
  /** Test knob: scopes a lax server adds to every token for this resource server. */
  readonly extraScopes?: readonly string[];
  /** Test knob: leave `scope` out of the answer. */
  readonly omitScopeInResponse?: boolean;
}

export interface TokenExchangeGrantOptions {
  readonly trustedIssuers: readonly TrustedIssuer[];
  readonly resourceServers: readonly ExchangeResourceServer[];
  /** This server's own public keys: tokens it issued are valid subject/actor tokens. */
  readonly ownJwks: JSONWebKeySet;
  /** Resource server used when a request names none. */
  readonly defaultResource?: string;
}

const { InvalidGrant, InvalidRequest, InvalidTarget, InvalidScope } = errors;

/** Claims the grant wants in a token it is issuing, until oidc-provider asks for them. */
const pendingClaims = new WeakMap<object, Record<string, unknown>>();

/** Provider configuration `extraTokenClaims`: adds the `act` of token exchange tokens. */
export function tokenExchangeExtraClaims(_ctx: unknown, token: object): Record<string, unknown> | undefined {
  return pendingClaims.get(token);
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
const many = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const scopesOf = (claims: JWTPayload): string[] =>
  typeof claims['scope'] === 'string' ? claims['scope'].split(' ').filter(Boolean) : Array.isArray(claims['scp']) ? (claims['scp'] as string[]) : [];

export function registerTokenExchangeGrant(provider: Provider, options: TokenExchangeGrantOptions): void {
  const keySets = new Map<string, { keys: JWTVerifyGetKey; audiences?: readonly string[] }>();
  keySets.set(provider.issuer, { keys: createLocalJWKSet(options.ownJwks) });
  for (const trusted of options.trustedIssuers) {
    const keys = trusted.jwks ? createLocalJWKSet(trusted.jwks) : createRemoteJWKSet(new URL(trusted.jwksUri!));
    keySets.set(trusted.issuer, { keys, ...(trusted.audiences ? { audiences: trusted.audiences } : {}) });
  }

  const verifyParty = async (token: string, type: string | undefined, name: string): Promise<JWTPayload> => {
    if (type === undefined) throw new InvalidRequest(`missing ${name}_type`);
    if (!ACCEPTED_INPUT_TYPES.has(type)) throw new InvalidRequest(`unsupported ${name}_type`);
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new InvalidGrant(`${name} is not a JWT`);
    }
    const trusted = typeof issuer === 'string' ? keySets.get(issuer) : undefined;
    if (!trusted) throw new InvalidGrant(`${name} issuer is not trusted`);
    try {
      const { payload } = await jwtVerify(token, trusted.keys, {
        issuer: issuer as string,
        requiredClaims: ['exp', 'sub'],
        ...(trusted.audiences ? { audience: [...trusted.audiences] } : {}),
      });
      return payload;
    } catch {
      throw new InvalidGrant(`${name} is invalid or expired`);
    }
  };

  const resolveTarget = (resources: string[], audiences: string[]): ExchangeResourceServer => {
    const matched = new Set<ExchangeResourceServer>();
    for (const resource of resources) {
      const server = options.resourceServers.find((rs) => rs.identifier === resource);
      if (!server) throw new InvalidTarget('unknown resource');
      matched.add(server);
    }
    for (const audience of audiences) {
      const server = options.resourceServers.find((rs) => rs.audience === audience || rs.identifier === audience);
      if (!server) throw new InvalidTarget('unknown audience');
      matched.add(server);
    }
    if (matched.size === 0 && options.defaultResource !== undefined) {
      const server = options.resourceServers.find((rs) => rs.identifier === options.defaultResource);
      if (server) matched.add(server);
    }
    if (matched.size !== 1) throw new InvalidTarget(matched.size === 0 ? 'no target named' : 'only one target per exchange');
    return [...matched][0]!;
  };

  const handler = async (ctx: OidcContext): Promise<void> => {
    const { params, client } = ctx.oidc;
    const subjectToken = single(params['subject_token']);
    if (!subjectToken) throw new InvalidRequest('missing subject_token');
    const requestedType = single(params['requested_token_type']) ?? ACCESS_TOKEN_TYPE;
    if (requestedType !== ACCESS_TOKEN_TYPE && requestedType !== JWT_TOKEN_TYPE) throw new InvalidRequest('unsupported requested_token_type');

    const subject = await verifyParty(subjectToken, single(params['subject_token_type']), 'subject_token');
    const actorToken = single(params['actor_token']);
    const actor = actorToken ? await verifyParty(actorToken, single(params['actor_token_type']), 'actor_token') : undefined;
    if (!actorToken && params['actor_token_type'] !== undefined) throw new InvalidRequest('actor_token_type without actor_token');

    const mayAct = subject['may_act'] as Record<string, unknown> | undefined;
    if (actor && mayAct && typeof mayAct === 'object') {
      const matches = (claim: 'sub' | 'iss') => mayAct[claim] === undefined || mayAct[claim] === actor[claim];
      if (!matches('sub') || !matches('iss')) throw new InvalidGrant('the actor is not allowed to act for the subject (may_act)');
    }

    const target = resolveTarget(many(params['resource']), many(params['audience']));
    const downscoping = subject.iss === provider.issuer;
    const subjectScopes = new Set(scopesOf(subject));
    const requested = single(params['scope'])?.split(' ').filter(Boolean);
    let granted: string[];
    if (requested) {
      const unknown = requested.filter((s) => !target.scopes.includes(s));
      if (unknown.length > 0) throw new InvalidScope('scope not available for this target', unknown.join(' '));
      if (downscoping && requested.some((s) => !subjectScopes.has(s))) throw new InvalidScope('scope exceeds the subject token');
      granted = requested;
    } else {
      granted = target.scopes.filter((s) => !downscoping || subjectScopes.has(s));
    }
    granted = [...new Set([...granted, ...(target.extraScopes ?? [])])];

    const previousAct = subject['act'];
    const act = actor ? { sub: actor.sub, iss: actor.iss, ...(previousAct ? { act: previousAct } : {}) } : previousAct;
    const token = new provider.AccessToken({
      accountId: subject.sub,
      client,
      gty: 'token_exchange',
      scope: granted.join(' ') || undefined,
    });
    if (act) pendingClaims.set(token, { act });
    token.resourceServer = new provider.ResourceServer(target.identifier, {
      audience: target.audience,
      scope: target.scopes.join(' '),
      accessTokenFormat: 'jwt',
      accessTokenTTL: target.accessTokenTtl ?? 300,
    });
    const value = await token.save();
    ctx.body = {
      access_token: value,
      issued_token_type: requestedType,
      token_type: requestedType === ACCESS_TOKEN_TYPE ? 'Bearer' : 'N_A',
      expires_in: token.expiration,
      ...(target.omitScopeInResponse ? {} : { scope: granted.join(' ') }),
    };
  };

  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT_TYPE,
    handler,
    ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'scope', 'audience', 'resource'],
    ['audience', 'resource'],
  );
}
