import { JwtVerifierBase } from 'aws-jwt-verify/jwt-verifier';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Jwk, JwksCache } from 'aws-jwt-verify/jwk';
import {
  JwksNotAvailableInCacheError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtNotBeforeError,
  JwtParseError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import type { GatepassConfig, IssuerConfig } from '../shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../shared/errors.js';
import { AgingJwksCache, BoundedJwksFetcher, type JwksObserver } from './jwks-source.js';
import { normaliseTyp } from './jwt-structure.js';

/** Which key types sign which `alg` (RFC 7518 §3.1, RFC 8037): the key must fit the header. */
const KEY_FOR_ALG: Readonly<Record<string, { kty: string; crv?: readonly string[] }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'] },
};

function assertKeyFitsAlg({ header, jwk }: { header: { alg?: string }; jwk: Jwk }): void {
  const expected = header.alg ? KEY_FOR_ALG[header.alg] : undefined;
  if (!expected || jwk.kty !== expected.kty || (expected.crv && !expected.crv.includes(jwk.crv ?? ''))) {
    throw new GatepassError(ErrorCode.TokenInvalid, 'JWT alg does not fit the key type');
  }
}

interface IssuerVerifyProperties extends Record<string, unknown> {
  issuer: string;
  jwksUri: string;
  audience: string[] | null;
  graceSeconds: number;
  customJwtCheck: typeof assertKeyFitsAlg;
}

/**
 * aws-jwt-verify's multi-issuer verifier, fed with the JWT gatepass already decomposed
 * and checked (so the token is parsed once).
 */
class MultiIssuerVerifier extends JwtVerifierBase<IssuerVerifyProperties, IssuerVerifyProperties, true> {
  // Public on purpose: the base class constructor is protected.
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(issuers: IssuerVerifyProperties[], jwksCache: JwksCache) {
    super(issuers, jwksCache);
  }

  verifySyncDecomposed(jwt: DecomposedJwt, issuer: IssuerVerifyProperties): JwtPayload {
    return this.verifyDecomposedJwtSync(jwt, issuer.jwksUri, issuer);
  }

  verifyAsyncDecomposed(jwt: DecomposedJwt, issuer: IssuerVerifyProperties): Promise<JwtPayload> {
    return this.verifyDecomposedJwt(jwt, issuer.jwksUri, issuer);
  }
}

/** Translates aws-jwt-verify errors to gatepass codes, in one place. */
export function translateJwtError(error: unknown): GatepassError {
  if (error instanceof GatepassError) return error;
  if (error instanceof JwtExpiredError) return new GatepassError(ErrorCode.TokenExpired, 'JWT expired', { cause: error });
  if (error instanceof JwtNotBeforeError) return new GatepassError(ErrorCode.TokenNotYetValid, 'JWT not valid yet', { cause: error });
  if (error instanceof JwtInvalidAudienceError) return new GatepassError(ErrorCode.AudienceNotAccepted, 'JWT audience not accepted', { cause: error });
  if (error instanceof JwtInvalidIssuerError) return new GatepassError(ErrorCode.IssuerNotAccepted, 'JWT issuer not accepted', { cause: error });
  if (error instanceof JwtParseError) return new GatepassError(ErrorCode.TokenMalformed, 'JWT could not be parsed', { cause: error });
  if (error instanceof JwtBaseError) return new GatepassError(ErrorCode.TokenInvalid, `JWT refused: ${error.name}`, { cause: error });
  // node:crypto throws, instead of answering false, for an ECDSA signature whose length does
  // not fit the curve (a DER signature, a truncated one): the caller's bytes, never a gatepass fault.
  if (isCryptoOperationFailure(error)) return new GatepassError(ErrorCode.TokenInvalid, 'JWT signature is malformed', { cause: error });
  throw error;
}

function isCryptoOperationFailure(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'ERR_CRYPTO_OPERATION_FAILED';
}

export interface JwtValidatorOptions {
  readonly observer?: JwksObserver;
  readonly now?: () => number;
}

/**
 * Verifies JWT access tokens of the configured issuers: issuer first (an unknown
 * issuer costs no network call), then `alg` and `typ` against the issuer's lists,
 * then the signature with a key from that issuer's JWKS, then time claims and audience.
 */
export class JwtValidator {
  private readonly verifier: MultiIssuerVerifier | undefined;
  private readonly byIssuer = new Map<string, { key: string; config: IssuerConfig; props: IssuerVerifyProperties; typs?: Set<string> }>();
  private readonly jwksCache: AgingJwksCache;
  private readonly skew: number;
  private readonly now: () => number;

  constructor(config: GatepassConfig, options: JwtValidatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.skew = config.settings.clockSkewSeconds;
    const props: IssuerVerifyProperties[] = [];
    const uris = new Set<string>();
    for (const [key, issuer] of Object.entries(config.issuers)) {
      if (!issuer.jwksUri) continue;
      const p: IssuerVerifyProperties = {
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        audience: issuer.audiences ? [...issuer.audiences] : null,
        graceSeconds: this.skew,
        customJwtCheck: assertKeyFitsAlg,
      };
      props.push(p);
      uris.add(issuer.jwksUri);
      this.byIssuer.set(issuer.issuer, {
        key,
        config: issuer,
        props: p,
        typs: issuer.tokenTypes ? new Set(issuer.tokenTypes.map(normaliseTyp)) : undefined,
      });
    }
    const observer = options.observer ?? { fetched: () => undefined, failed: () => undefined };
    this.jwksCache = new AgingJwksCache(new BoundedJwksFetcher(uris, config.settings.jwks), config.settings.jwks, observer, this.now);
    this.verifier = props.length > 0 ? new MultiIssuerVerifier(props, this.jwksCache) : undefined;
  }

  /** The config key of the issuer whose `iss` this is, if it validates JWTs. */
  issuerKeyOf(iss: unknown): string | undefined {
    return typeof iss === 'string' ? this.byIssuer.get(iss)?.key : undefined;
  }

  /**
   * Verify a decomposed JWT whose issuer is configured and accepted on the route
   * (the caller checks that first). Resolves to its payload or rejects with a GatepassError.
   */
  async verify(jwt: DecomposedJwt): Promise<JwtPayload> {
    const issuer = typeof jwt.payload.iss === 'string' ? this.byIssuer.get(jwt.payload.iss) : undefined;
    if (!issuer || !this.verifier) throw new GatepassError(ErrorCode.IssuerNotAccepted, 'JWT issuer is not configured');
    const alg = jwt.header.alg;
    if (!alg || !(issuer.config.algorithms as readonly string[]).includes(alg)) {
      throw new GatepassError(ErrorCode.TokenInvalid, 'JWT alg is not accepted for this issuer');
    }
    if (issuer.typs) {
      const typ = jwt.header.typ;
      if (typeof typ !== 'string' || !issuer.typs.has(normaliseTyp(typ))) throw new GatepassError(ErrorCode.TokenInvalid, 'JWT typ is not accepted');
    }
    if (typeof jwt.payload.exp !== 'number') throw new GatepassError(ErrorCode.TokenInvalid, 'JWT has no exp (RFC 9068)');

    const uri = issuer.props.jwksUri;
    if (this.jwksCache.isStale(uri)) {
      const jwks = await this.jwksCache.refresh(uri);
      // Also drops the verifier's cached key objects, in case a kid now names another key.
      if (jwks) this.verifier.cacheJwks(jwks, issuer.props.issuer);
    }
    let payload: JwtPayload;
    try {
      try {
        payload = this.verifier.verifySyncDecomposed(jwt, issuer.props);
      } catch (error) {
        if (!(error instanceof JwksNotAvailableInCacheError || error instanceof KidNotFoundInJwksError)) throw error;
        // First use or an unknown kid: fetch (the penalty box limits refetches).
        payload = await this.verifier.verifyAsyncDecomposed(jwt, issuer.props);
      }
    } catch (error) {
      throw translateJwtError(error);
    }
    checkTimes(payload, this.now() / 1000, this.skew);
    return payload;
  }
}

/**
 * `exp` (required), `nbf` and `iat` within the allowed skew. Runs on every request,
 * also when the signature check was skipped thanks to the verified-token memo.
 */
export function checkTimes(claims: Readonly<Record<string, unknown>>, nowSeconds: number, skew: number): void {
  const { exp, nbf, iat } = claims;
  if (typeof exp !== 'number') throw new GatepassError(ErrorCode.TokenInvalid, 'token has no exp');
  if (exp + skew < nowSeconds) throw new GatepassError(ErrorCode.TokenExpired, 'token expired');
  if (typeof nbf === 'number' && nbf - skew > nowSeconds) throw new GatepassError(ErrorCode.TokenNotYetValid, 'token not valid yet (nbf)');
  if (typeof iat === 'number' && iat - skew > nowSeconds) throw new GatepassError(ErrorCode.TokenNotYetValid, 'token issued in the future (iat)');
}
