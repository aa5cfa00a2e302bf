import type { IssuedTokenVerification } from './policy/issued-token-verifier.js';

/**
 * Types shared by the parts of the exchange Lambda: the token endpoint client, the
 * cache and the forwarder. The handler glues them together.
 */

/** One exchange (RFC 8693, or RFC 7523 jwt-bearer), as the route's `exchange` block and the request define it. */
export interface ExchangeRequest {
  /** Config key of the authorization server. */
  readonly authorizationServer: string;
  /** The caller's token (never logged, never stored). */
  readonly subjectToken: string;
  readonly subjectTokenType: string;
  readonly audience: readonly string[];
  readonly resource: readonly string[];
  readonly scope: readonly string[];
  readonly requestedTokenType: string;
  readonly actor?: ActorToken;
  /**
   * Downscoping (the route's flow, or same issuer without one): the granted scope must also be
   * a subset of these (the subject token's own scopes). Undefined for federation and delegation.
   */
  readonly subjectScopes?: readonly string[];
  /** Claims the issued token must not carry (the route's `exchange.forbiddenClaims`). */
  readonly forbiddenClaims?: readonly string[];
}

export interface ActorToken {
  readonly token: string;
  readonly tokenType: string;
}

/** A validated token endpoint answer. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly issuedTokenType: string;
  /** `Bearer` (normalised), or the server's value for non-bearer token types. */
  readonly tokenType: string;
  /** Seconds; the documented fallback when the server omitted `expires_in`. */
  readonly expiresIn: number;
  /** Granted scope: the response's `scope`, else the requested one (RFC 8693 §2.2.1). */
  readonly scope: readonly string[];
  /** The issued token's own `exp` (epoch seconds) when it is a JWT that has one: caps the cache entry. */
  readonly ownExpiresAt?: number;
  /** How far the issued token was verified (set by `exchange`, not kept in the cache). */
  readonly verification?: IssuedTokenVerification;
  /** OpenID Connect identity scopes in the grant, which narrowing ignored. */
  readonly identityScopes?: readonly string[];
  /** Resources requested as `<resource>/.default`, whose grant narrowing could not bound by name. */
  readonly defaultScopeResources?: readonly string[];
}

/** What the cache keeps for an exchange (the issued token is encrypted at rest in the table). */
export interface CachedToken {
  readonly accessToken: string;
  readonly issuedTokenType: string;
  readonly tokenType: string;
  readonly scope: readonly string[];
  /** Epoch seconds after which the entry must not be used. */
  readonly expiresAt: number;
}

/** Everything that makes two exchanges different; they never share a cache entry. */
export interface CacheKeyTuple {
  readonly subjectToken: string;
  readonly authorizationServer: string;
  readonly audience: readonly string[];
  readonly resource: readonly string[];
  readonly scope: readonly string[];
  readonly requestedTokenType: string;
  /** The actor token, or '' without an actor. */
  readonly actor: string;
  /**
   * What the route checks beyond the request (its narrowing flow, its forbiddenClaims), when it
   * sets them: a token checked for one route is never served to a route that checks more.
   */
  readonly policy?: readonly string[];
}
