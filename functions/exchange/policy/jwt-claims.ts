import { decodeJwt } from 'jose';

/**
 * Claims read from a JWT's payload WITHOUT verifying it. Only for tokens already verified
 * elsewhere (the subject token: the authorizer verified it) or that gatepass itself just
 * received from a configured token endpoint over a validated connection. Anything that is
 * not a compact JWT with a JSON object payload (opaque tokens, JWE) has no claims: `{}`.
 */
export function unverifiedClaimsOf(token: string): Readonly<Record<string, unknown>> {
  if (token.split('.').length !== 3) return {};
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}
