import { ErrorCode, GatepassError } from './errors.js';

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME = /^bearer$/i;

/**
 * The one bearer token of a request, from its Authorization values (RFC 6750 §2.1).
 * Refuses: no value (token_missing), another scheme (token_missing: the caller sent
 * no bearer token), several values or a comma-joined list (token_malformed: API
 * Gateway HTTP APIs join repeated headers with commas), a value over the length cap
 * (checked before anything else looks at it), and anything that is not exactly
 * `Bearer <b64token>`.
 */
export function extractBearerToken(values: readonly string[], maxTokenLength: number): string {
  if (values.length === 0) throw new GatepassError(ErrorCode.TokenMissing, 'no Authorization header');
  if (values.length > 1) throw new GatepassError(ErrorCode.TokenMalformed, 'several Authorization headers');
  const value = values[0]!;
  // "Bearer" + one space + the token, plus a little slack for surrounding whitespace.
  if (value.length > maxTokenLength + 16) throw new GatepassError(ErrorCode.TokenMalformed, `Authorization header longer than ${maxTokenLength} characters`);
  const trimmed = value.trim();
  if (trimmed === '') throw new GatepassError(ErrorCode.TokenMissing, 'empty Authorization header');
  if (trimmed.includes(',')) throw new GatepassError(ErrorCode.TokenMalformed, 'several Authorization values');
  const space = trimmed.search(/[ \t]/);
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (!SCHEME.test(scheme)) throw new GatepassError(ErrorCode.TokenMissing, 'Authorization scheme is not Bearer');
  if (space === -1) throw new GatepassError(ErrorCode.TokenMalformed, 'Bearer scheme without a token');
  const token = trimmed.slice(space).trimStart();
  if (token.length > maxTokenLength) throw new GatepassError(ErrorCode.TokenMalformed, `token longer than ${maxTokenLength} characters`);
  if (!B64TOKEN.test(token)) throw new GatepassError(ErrorCode.TokenMalformed, 'token is not an RFC 6750 b64token');
  return token;
}

/**
 * True when a query string names `access_token` (RFC 6750 §2.3, which gatepass refuses), by its
 * decoded name in any case and with or without a value: `?ACCESS%5Ftoken=…` and `?access_token` too.
 */
export function queryCarriesAccessToken(rawQueryString: string): boolean {
  for (const name of new URLSearchParams(rawQueryString).keys()) if (name.toLowerCase() === 'access_token') return true;
  return false;
}
