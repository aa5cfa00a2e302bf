import {
  FailedAssertionError,
  FetchError,
  JwkInvalidKtyError,
  JwksNotAvailableInCacheError,
  JwksValidationError,
  JwkValidationError,
  JwkInvalidUseError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import { ErrorCode, GatepassError } from '../errors.js';

/**
 * Why a JWT was refused, as the decision line's `reason`: short stable phrases operators
 * search for (docs/design.md "Errors"). Never the token, never library message text.
 */
export const JwtRefusal = {
  BadSignature: 'bad signature',
  /** node:crypto could not even read the signature (an ECDSA signature of the wrong length). */
  MalformedSignature: 'malformed signature',
  UnknownKid: 'unknown kid',
  NoKid: 'no kid',
  /** No JWKS could be fetched: network error, timeout, HTTP error, or the penalty box after one. */
  JwksUnreachable: 'JWKS unreachable',
  /** The JWKS endpoint answered something that is not a usable JWKS (bad JSON, too many keys). */
  JwksUnusable: 'JWKS unusable',
  /** Not in the issuer's `algorithms`. */
  AlgNotAccepted: 'alg not accepted',
  /** The header's alg does not fit the type, curve or `alg` of the key its kid names. */
  AlgDoesNotFitKey: 'alg does not fit the key',
  TypNotAccepted: 'typ not accepted',
  NoExp: 'no exp',
  Expired: 'expired',
  NotYetValid: 'not yet valid',
  IssuedInTheFuture: 'issued in the future',
  AudienceNotAccepted: 'audience not accepted',
  IssuerNotAccepted: 'issuer not accepted',
  IssuerNotConfigured: 'issuer not configured',
  ClaimNotAccepted: 'claim not accepted',
  Malformed: 'malformed JWT',
  /** An aws-jwt-verify refusal without a phrase of its own above. */
  Refused: 'refused by aws-jwt-verify',
} as const;
export type JwtRefusal = (typeof JwtRefusal)[keyof typeof JwtRefusal];

/** A JWT refusal: its code, and the phrase as message (the decision line's `reason`). */
export function jwtRefusal(code: ErrorCode, reason: JwtRefusal, cause?: unknown): GatepassError {
  return new GatepassError(code, reason, cause === undefined ? undefined : { cause });
}

/** What the validator knew when the library failed: the penalty box error means different things with and without keys. */
export interface JwksState {
  /** A JWKS for the issuer was cached (the kid was looked up in it and missing). */
  readonly cached: boolean;
}

/**
 * The one place where aws-jwt-verify's errors become gatepass codes. Its classes set no
 * `name` (node_modules/aws-jwt-verify/dist/esm/error.js), so they are told apart by
 * `instanceof`, most specific class first. Anything else that is not node:crypto refusing
 * the caller's signature bytes is a gatepass bug: rethrown, so the handler answers 500.
 */
export function translateJwtError(error: unknown, jwks: JwksState = { cached: true }): GatepassError {
  if (error instanceof GatepassError) return error;
  if (error instanceof JwtBaseError) {
    const [code, reason] = refusalOf(error, jwks);
    return jwtRefusal(code, reason, error);
  }
  // node:crypto throws, instead of answering false, for an ECDSA signature whose length does
  // not fit the curve (a DER signature, a truncated one): the caller's bytes, never a gatepass fault.
  if (isCryptoOperationFailure(error)) return jwtRefusal(ErrorCode.TokenInvalid, JwtRefusal.MalformedSignature, error);
  throw error;
}

/**
 * What an error of aws-jwt-verify's family means, as a phrase (`JWKS unreachable`,
 * `JWKS unusable`, ...), for log lines about it; the error's own name otherwise. Never throws.
 */
export function jwtFailurePhrase(error: Error): string {
  return error instanceof JwtBaseError ? refusalOf(error, { cached: true })[1] : error.name;
}

function refusalOf(error: JwtBaseError, jwks: JwksState): readonly [ErrorCode, JwtRefusal] {
  // Claims (JwtInvalidClaimError and its subclasses).
  if (error instanceof JwtExpiredError) return [ErrorCode.TokenExpired, JwtRefusal.Expired];
  if (error instanceof JwtNotBeforeError) return [ErrorCode.TokenNotYetValid, JwtRefusal.NotYetValid];
  if (error instanceof JwtInvalidAudienceError) return [ErrorCode.AudienceNotAccepted, JwtRefusal.AudienceNotAccepted];
  if (error instanceof JwtInvalidIssuerError) return [ErrorCode.IssuerNotAccepted, JwtRefusal.IssuerNotAccepted];
  if (error instanceof JwtInvalidClaimError) return [ErrorCode.TokenInvalid, JwtRefusal.ClaimNotAccepted];
  // Signature and the key it needs.
  if (error instanceof JwtInvalidSignatureError) return [ErrorCode.TokenInvalid, JwtRefusal.BadSignature];
  if (error instanceof JwtInvalidSignatureAlgorithmError) {
    // Compared with the key's `alg` (a string) or with the library's supported list (an array).
    const againstList = Array.isArray((error as FailedAssertionError).failedAssertion?.expected);
    return [ErrorCode.TokenInvalid, againstList ? JwtRefusal.AlgNotAccepted : JwtRefusal.AlgDoesNotFitKey];
  }
  if (error instanceof JwkInvalidKtyError) return [ErrorCode.TokenInvalid, JwtRefusal.AlgDoesNotFitKey];
  if (error instanceof KidNotFoundInJwksError) return [ErrorCode.TokenInvalid, JwtRefusal.UnknownKid];
  if (error instanceof JwtWithoutValidKidError) return [ErrorCode.TokenInvalid, JwtRefusal.NoKid];
  // The penalty box holds a refetch back: after an unknown kid (keys cached), or after a failed fetch (none).
  if (error instanceof WaitPeriodNotYetEndedJwkError) return [ErrorCode.TokenInvalid, jwks.cached ? JwtRefusal.UnknownKid : JwtRefusal.JwksUnreachable];
  // The JWKS itself.
  if (error instanceof FetchError || error instanceof JwksNotAvailableInCacheError) return [ErrorCode.TokenInvalid, JwtRefusal.JwksUnreachable];
  if (error instanceof JwksValidationError || error instanceof JwkValidationError || error instanceof JwkInvalidUseError) {
    return [ErrorCode.TokenInvalid, JwtRefusal.JwksUnusable];
  }
  if (error instanceof JwtParseError) return [ErrorCode.TokenMalformed, JwtRefusal.Malformed];
  return [ErrorCode.TokenInvalid, JwtRefusal.Refused];
}

function isCryptoOperationFailure(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'ERR_CRYPTO_OPERATION_FAILED';
}
