/** Readers for the claims gatepass decides on, tolerant of the shapes IdPs use. */

const SCOPE_SPLIT = / +/;

/**
 * Scopes of a token: the RFC 8693/9068 `scope` string (space separated), or an `scp`
 * array of strings (Azure AD, Okta), or an `scp` string. Anything else yields no scope:
 * a malformed claim never grants one.
 */
export function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const scope = claims['scope'];
  if (typeof scope === 'string') return scope.split(SCOPE_SPLIT).filter((s) => s !== '');
  const scp = claims['scp'];
  if (typeof scp === 'string') return scp.split(SCOPE_SPLIT).filter((s) => s !== '');
  if (Array.isArray(scp) && scp.every((s) => typeof s === 'string')) return (scp as string[]).filter((s) => s !== '');
  return [];
}

/** `aud` as a list: a string, an array of strings, or nothing. */
export function audiencesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const aud = claims['aud'];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

/** The client the token was issued to: `client_id` (RFC 9068, RFC 7662), else `azp`, else `cid`. */
export function clientIdOf(claims: Readonly<Record<string, unknown>>): string {
  for (const name of ['client_id', 'azp', 'cid']) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return '';
}
