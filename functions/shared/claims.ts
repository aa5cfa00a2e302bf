/** Readers for the claims gatepass decides on, tolerant of the shapes IdPs use. */

const SCOPE_SPLIT = / +/;

/**
 * Scopes of a token, in every shape IdPs write them: `scope` as the RFC 8693/9068 space-separated
 * string or as a JSON array of strings (Spring Authorization Server's JwtGenerator puts the
 * authorized scope Set in `scope`:
 * https://github.com/spring-projects/spring-authorization-server/blob/041b94d682c1d6fb1ff87c8dfdc8e04f10f41d81/oauth2-authorization-server/src/main/java/org/springframework/security/oauth2/server/authorization/token/JwtGenerator.java),
 * else `scp` as a string (Entra ID) or an array (Okta). `scope` wins when it has a readable
 * shape. Anything else yields no scope: a malformed claim never grants one. The authorizer
 * and exchange narrowing both read scopes here, so they always agree.
 */
export function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  return scopeListOf(claims['scope']) ?? scopeListOf(claims['scp']) ?? [];
}

/** True when the claims carry a scope claim in a shape scopesOf reads. */
export function hasScopeClaim(claims: Readonly<Record<string, unknown>>): boolean {
  return scopeListOf(claims['scope']) !== undefined || scopeListOf(claims['scp']) !== undefined;
}

/** A space-separated string or an array of strings as a scope list; undefined for any other shape. */
function scopeListOf(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(SCOPE_SPLIT).filter((s) => s !== '');
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return (value as string[]).filter((s) => s !== '');
  return undefined;
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
