/**
 * Types shared by the parts of the exchange Lambda: the token endpoint client, the
 * cache and the forwarder. The handler glues them together.
 */

/** One RFC 8693 exchange, as the route's `exchange` block and the request define it. */
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
   * Same-issuer downscoping: the granted scope must also be a subset of these
   * (the subject token's own scopes). Undefined for cross-issuer exchanges.
   */
  readonly subjectScopes?: readonly string[];
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

// The layer names are metric dimension values, so the contract defines them.
export { CacheLayer } from '../shared/contracts/metric-names.js';

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
}
