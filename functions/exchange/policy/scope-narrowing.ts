import { scopesOf } from '../../shared/claims.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { unverifiedClaimsOf } from './jwt-claims.js';

/**
 * Verified narrowing: an exchange may only ever make a token narrower.
 * - When scopes were requested, the granted scope must be a subset of them.
 * - Same-issuer downscoping (`subjectScopes` given) : the granted scope must also be a
 *   subset of the subject token's own scopes, even when nothing was requested.
 * - Cross-issuer with nothing requested: whatever the authorization server grants is
 *   accepted (gatepass asked for no particular scope; the server owns that policy).
 * The granted scope is the answer's `scope`, else the requested one (RFC 8693 §2.2.1).
 * When the issued token is itself a JWT with a `scope`/`scp` claim, that claim must obey the
 * same limits: an answer cannot understate what the token really carries.
 * A broader grant is `exchange_not_narrower` (502) and is never cached.
 */
export interface NarrowingCheck {
  readonly requested: readonly string[];
  readonly granted: readonly string[];
  /** The subject token's scopes, for same-issuer downscoping; undefined cross-issuer. */
  readonly subjectScopes?: readonly string[];
  /** The issued token, to read its own scope claim when it is a JWT. */
  readonly issuedToken: string;
}

export function verifyNarrowing(check: NarrowingCheck, where: string): void {
  const limits: { name: string; allowed: ReadonlySet<string> }[] = [];
  if (check.requested.length > 0) limits.push({ name: 'the requested scope', allowed: new Set(check.requested) });
  if (check.subjectScopes !== undefined) limits.push({ name: "the subject token's scope", allowed: new Set(check.subjectScopes) });
  if (limits.length === 0) return;

  const claims = unverifiedClaimsOf(check.issuedToken);
  const carried = 'scope' in claims || 'scp' in claims ? scopesOf(claims) : undefined;
  for (const { name, allowed } of limits) {
    const extra = check.granted.filter((s) => !allowed.has(s));
    if (extra.length > 0) {
      throw new GatepassError(ErrorCode.ExchangeNotNarrower, `${where} granted ${extra.length} scope(s) beyond ${name}: ${extra.slice(0, 10).join(' ')}`);
    }
    const hidden = carried?.filter((s) => !allowed.has(s)) ?? [];
    if (hidden.length > 0) {
      throw new GatepassError(ErrorCode.ExchangeNotNarrower, `the token ${where} issued carries ${hidden.length} scope(s) beyond ${name}: ${hidden.slice(0, 10).join(' ')}`);
    }
  }
}
