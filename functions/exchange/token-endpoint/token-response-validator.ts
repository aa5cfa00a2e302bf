import type { BoundedResponse } from '../../shared/http/bounded-http.js';
import { TokenType } from '../../shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import type { IssuedToken } from '../exchange-model.js';
import { isJsonMediaType, safeJsonObject } from './token-endpoint-errors.js';

/**
 * Strict validation of a successful token endpoint answer (RFC 8693 §2.2.1, RFC 6749 §5.1).
 * Anything that does not fit is `exchange_bad_response` (502):
 * - `Content-Type` application/json and a JSON object body;
 * - `access_token` a non-empty string of visible ASCII (it goes into an HTTP header);
 * - token exchange: `issued_token_type` present and equal to the requested type;
 * - jwt-bearer (RFC 7523 answers are RFC 6749 §5.1 answers): no `issued_token_type` needed, the
 *   token is an access token; one that is present must say access_token (Entra's answers have
 *   none: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow);
 * - `token_type` present: `Bearer` (any case) when the issued token is an access token
 *   (and always for client_credentials); for other issued types (jwt, id_token, ...)
 *   `Bearer` or `N_A` (RFC 8693 §2.2.1: not an access token); DPoP, MAC and others are refused
 *   because gatepass forwards the token as a bearer token;
 * - `expires_in` a positive finite number; a string of digits is tolerated; absent means
 *   the fallback TTL; anything else (negative, zero, "soon", true, null) is refused;
 * - `scope` a space-separated string of RFC 6749 scope tokens when present; absent means
 *   the requested scope (RFC 8693 §2.2.1). A JSON array is refused: none of the servers
 *   gatepass has recipes for sends one, and the two servers known to have done so called it a
 *   bug and fixed it (https://github.com/simpleidserver/SimpleIdServer/issues/271,
 *   https://github.com/UniversitaDellaCalabria/SATOSA-oidcop/issues/29).
 */

export type TokenGrant = 'token-exchange' | 'jwt-bearer' | 'client_credentials';

export interface ResponseExpectation {
  readonly grant: TokenGrant;
  /** The requested token type (token exchange). */
  readonly requestedTokenType?: string;
  readonly requestedScope: readonly string[];
  readonly fallbackTtlSeconds: number;
}

const VISIBLE_ASCII = /^[\x21-\x7E]+$/;
const NUMERIC = /^\d{1,12}(\.\d{1,6})?$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function validateTokenResponse(headers: BoundedResponse['headers'], body: Buffer, expectation: ResponseExpectation, where: string): IssuedToken {
  const bad = (why: string) => new GatepassError(ErrorCode.ExchangeBadResponse, `${where} answered 2xx but ${why}`);

  if (!isJsonMediaType(headers['content-type'])) throw bad('not with Content-Type application/json');
  const fields = safeJsonObject(body);
  if (!fields) throw bad('the body is not a JSON object');

  const accessToken = fields['access_token'];
  if (typeof accessToken !== 'string' || accessToken === '') throw bad('access_token is missing or not a non-empty string');
  if (!VISIBLE_ASCII.test(accessToken)) throw bad('access_token holds characters that cannot travel in a header');

  let issuedTokenType: string;
  if (expectation.grant === 'token-exchange') {
    const issued = fields['issued_token_type'];
    if (typeof issued !== 'string' || issued === '') throw bad('issued_token_type is missing');
    if (issued !== expectation.requestedTokenType) throw bad('issued_token_type differs from the requested token type');
    issuedTokenType = issued;
  } else if (expectation.grant === 'jwt-bearer') {
    const issued = fields['issued_token_type'];
    if (issued !== undefined && issued !== TokenType.AccessToken) throw bad('issued_token_type is not an access token, the only type a jwt-bearer grant issues');
    issuedTokenType = TokenType.AccessToken;
  } else {
    issuedTokenType = TokenType.AccessToken;
  }

  const tokenType = normalisedTokenType(fields['token_type'], issuedTokenType);
  if (tokenType === undefined) {
    throw bad(issuedTokenType === TokenType.AccessToken ? 'token_type is not Bearer' : 'token_type is neither Bearer nor N_A');
  }

  const expiresIn = expiresInOf(fields['expires_in'], expectation.fallbackTtlSeconds);
  if (expiresIn === undefined) throw bad('expires_in is not a positive number');

  const scopeField = fields['scope'];
  let scope: readonly string[];
  if (scopeField === undefined) scope = [...expectation.requestedScope];
  else if (typeof scopeField === 'string') {
    scope = scopeField.split(' ').filter((s) => s !== '');
    if (!scope.every((s) => SCOPE_TOKEN.test(s))) throw bad('scope holds characters no scope token may have');
  } else throw bad('scope is not a string');

  return { accessToken, issuedTokenType, tokenType, expiresIn, scope };
}

function normalisedTokenType(value: unknown, issuedTokenType: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'bearer') return 'Bearer';
  if (lower === 'n_a' && issuedTokenType !== TokenType.AccessToken) return 'N_A';
  return undefined;
}

/** Seconds, or undefined when the value is not acceptable. */
export function expiresInOf(value: unknown, fallbackSeconds: number): number | undefined {
  if (value === undefined) return fallbackSeconds;
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && NUMERIC.test(value.trim())) seconds = Number(value.trim());
  else return undefined;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}
