import { TokenType, type ActorConfig, type GatepassConfig } from '../../shared/config/config-schema.js';
import { clientIdOf } from '../../shared/claims.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import type { ActorToken, IssuedToken } from '../exchange-model.js';
import { unverifiedClaimsOf } from './jwt-claims.js';

/**
 * The delegation policy of an exchange (RFC 8693 §1.1, §4.1, §4.4): which actor token, if
 * any, goes with the request, and whether the subject token may be exchanged at all.
 * Call `resolve` for EVERY exchange, also for routes without an actor: the `act` depth
 * limit applies to all of them.
 *
 * - `act` depth: a subject token whose `act` chain (act, act.act, ...) is deeper than
 *   settings.exchange.maxActDepth (default 1) is refused with `exchange_denied`.
 * - actor `none`: no actor token.
 * - actor `gateway`: the gateway's own client-credentials token at the route's
 *   authorization server (TokenExchangeClient.clientCredentialsToken, cached).
 * - actor `header`: the named request header, exactly one value, at most
 *   settings.maxTokenLength characters, an optional `Bearer ` prefix stripped, and an RFC
 *   6750 b64token. Missing, repeated (also comma-joined, as HTTP APIs join repeats) or
 *   malformed: `exchange_denied`. Sent with actor_token_type access_token.
 * - `enforceMayAct`: when the subject token carries `may_act` (RFC 8693 §4.4), the actor
 *   must match it: every one of `sub`, `iss` and `client_id` that may_act names must equal
 *   the actor token's (`sub` compared with the actor's `sub`, or its client id when it has
 *   no `sub`). A may_act naming none of them, or an actor whose claims cannot be read
 *   (an opaque token), is refused. A subject token without may_act is not restricted.
 *
 * What is verified: the subject token's claims were verified by the authorizer. The gateway
 * actor token comes from a configured token endpoint, so its payload is read as is. A header
 * actor token is NOT verified by gatepass: its may_act check is a pre-filter on unverified
 * claims, and the authorization server, which must validate `actor_token` (RFC 8693 §2.1),
 * is the real enforcement point. A forged header token can therefore only pass gatepass's
 * pre-filter to be refused by the server; it can never widen what the server grants.
 */

export interface ActorResolverOptions {
  readonly config: GatepassConfig;
  /** The token endpoint client, for actor mode `gateway`. */
  readonly gatewayTokens: { clientCredentialsToken(authorizationServer: string): Promise<IssuedToken> };
}

/** Request headers as events carry them: names in any case, a list for repeated headers. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface ActorInput {
  readonly actor: ActorConfig;
  readonly authorizationServer: string;
  readonly headers: RequestHeaders;
  /** The subject token's claims (`unverifiedClaimsOf(subjectToken)`; `{}` for opaque tokens). */
  readonly subjectClaims: Readonly<Record<string, unknown>>;
}

/** Actor tokens are sent as access tokens: the gateway's own token is one, and so is a delegated caller's. */
const ACTOR_TOKEN_TYPE = TokenType.AccessToken;

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const BEARER_PREFIX = /^bearer[ \t]+/i;
/** Guards the walk over a hostile claim; real chains are a handful deep. */
const MAX_ACT_WALK = 64;

export class ActorResolver {
  readonly #config: GatepassConfig;
  readonly #gatewayTokens: ActorResolverOptions['gatewayTokens'];

  constructor(options: ActorResolverOptions) {
    this.#config = options.config;
    this.#gatewayTokens = options.gatewayTokens;
  }

  async resolve(input: ActorInput): Promise<ActorToken | undefined> {
    const limit = this.#config.settings.exchange.maxActDepth;
    const depth = actDepthOf(input.subjectClaims);
    if (depth > limit) {
      throw new GatepassError(ErrorCode.ExchangeDenied, `subject token's act chain is ${depth >= MAX_ACT_WALK ? `at least ${depth}` : depth} deep; the limit is ${limit}`);
    }

    const { actor } = input;
    if (actor.source === 'none') return undefined;

    let token: string;
    let fallbackIssuer: string | undefined;
    if (actor.source === 'gateway') {
      token = (await this.#gatewayTokens.clientCredentialsToken(input.authorizationServer)).accessToken;
      fallbackIssuer = this.#config.authorizationServers[input.authorizationServer]?.issuer;
    } else {
      token = actorHeaderToken(input.headers, actor.header, this.#config.settings.maxTokenLength);
    }

    if (actor.enforceMayAct) {
      const mayAct = input.subjectClaims['may_act'];
      if (mayAct !== undefined) checkMayAct(mayAct, unverifiedClaimsOf(token), fallbackIssuer);
    }
    return { token, tokenType: ACTOR_TOKEN_TYPE };
  }
}

/** Number of nested `act` objects (0 for a token nobody acts for). */
export function actDepthOf(claims: Readonly<Record<string, unknown>>): number {
  let depth = 0;
  let current: unknown = claims['act'];
  while (current !== null && typeof current === 'object' && !Array.isArray(current) && depth < MAX_ACT_WALK) {
    depth += 1;
    current = (current as Record<string, unknown>)['act'];
  }
  return depth;
}

/** The one token of the actor header; refusals are `exchange_denied`. */
export function actorHeaderToken(headers: RequestHeaders, name: string, maxTokenLength: number): string {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === 'string') values.push(value);
    else values.push(...value);
  }
  const denied = (why: string) => new GatepassError(ErrorCode.ExchangeDenied, `actor header ${name} ${why}`);
  if (values.length === 0) throw denied('is missing');
  if (values.length > 1) throw denied('is repeated');
  const raw = values[0]!;
  if (raw.length > maxTokenLength + 16) throw denied(`is longer than ${maxTokenLength} characters`);
  const value = raw.trim();
  if (value.includes(',')) throw denied('holds several values');
  const token = value.replace(BEARER_PREFIX, '');
  if (token === '' || /^bearer$/i.test(token)) throw denied('holds no token');
  if (token.length > maxTokenLength) throw denied(`is longer than ${maxTokenLength} characters`);
  if (!B64TOKEN.test(token)) throw denied('is not a token (RFC 6750 b64token)');
  return token;
}

/** RFC 8693 §4.4: the actor must be the party may_act names. */
export function checkMayAct(mayAct: unknown, actorClaims: Readonly<Record<string, unknown>>, fallbackIssuer?: string): void {
  const denied = (why: string) => new GatepassError(ErrorCode.ExchangeDenied, `actor is not allowed by the subject token's may_act: ${why}`);
  if (mayAct === null || typeof mayAct !== 'object' || Array.isArray(mayAct)) throw denied('may_act is not an object');
  const allowed = mayAct as Record<string, unknown>;
  const named = ['sub', 'iss', 'client_id'].filter((claim) => typeof allowed[claim] === 'string');
  if (named.length === 0) throw denied('may_act names no sub, iss or client_id');
  if (Object.keys(actorClaims).length === 0) throw denied("the actor token's claims cannot be read");

  const actorSub = typeof actorClaims['sub'] === 'string' && actorClaims['sub'] !== '' ? actorClaims['sub'] : clientIdOf(actorClaims);
  const actorIss = typeof actorClaims['iss'] === 'string' ? actorClaims['iss'] : fallbackIssuer;
  const actual: Record<string, string | undefined> = { sub: actorSub, iss: actorIss, client_id: clientIdOf(actorClaims) || undefined };
  for (const claim of named) {
    if (actual[claim] !== allowed[claim]) throw denied(`${claim} differs`);
  }
}
