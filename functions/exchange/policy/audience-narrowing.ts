import { TokenType } from '../../shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { unverifiedClaimsOf } from './jwt-claims.js';

/**
 * Verified audience, the counterpart of verified scope narrowing (scope-narrowing.ts): when a
 * route asks for an `audience` or a `resource` (RFC 8693 §2.1, RFC 8707 §2), an issued token
 * that gatepass can read (a JWT access token or `jwt` token type) must be meant for exactly
 * those: every value of its `aud` must be one of the requested audiences or resources, and it
 * must have an `aud` at all (RFC 9068 §2.2). Otherwise the upstream would receive a token that
 * another service also accepts, and could replay it there.
 *
 * Not checked, by design: routes that request neither (the authorization server's choice is
 * accepted, as for scope), opaque or encrypted tokens (nothing to read: the upstream must check
 * the audience itself), and other issued token types (an `id_token`'s aud is the client).
 * A mismatch is `exchange_not_narrower` (502) and is never cached.
 */
export interface AudienceCheck {
  readonly audience: readonly string[];
  readonly resource: readonly string[];
  readonly issuedToken: string;
  readonly issuedTokenType: string;
  /** The issued token's claims as gatepass verified them; absent: read from `issuedToken`. */
  readonly issuedClaims?: Readonly<Record<string, unknown>>;
}

const AUDIENCE_BOUND_TYPES: ReadonlySet<string> = new Set([TokenType.AccessToken, TokenType.Jwt]);

export function verifyIssuedAudience(check: AudienceCheck, where: string): void {
  const allowed = new Set([...check.audience, ...check.resource]);
  if (allowed.size === 0 || !AUDIENCE_BOUND_TYPES.has(check.issuedTokenType)) return;
  const claims = check.issuedClaims ?? unverifiedClaimsOf(check.issuedToken);
  if (Object.keys(claims).length === 0) return;
  const aud = claims['aud'];
  const audiences: readonly unknown[] = aud === undefined ? [] : Array.isArray(aud) ? aud : [aud];
  if (audiences.length === 0) {
    throw new GatepassError(ErrorCode.ExchangeNotNarrower, `the token ${where} issued has no aud, though the route asked for an audience`);
  }
  const beyond = audiences.filter((a) => typeof a !== 'string' || !allowed.has(a));
  if (beyond.length > 0) {
    throw new GatepassError(ErrorCode.ExchangeNotNarrower, `the token ${where} issued is also meant for ${beyond.length} audience(s) the route did not ask for`);
  }
}
