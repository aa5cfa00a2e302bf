import { JwtVerifierBase } from 'aws-jwt-verify/jwt-verifier';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Jwk, JwksCache } from 'aws-jwt-verify/jwk';
import { JwksNotAvailableInCacheError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import type { GatepassConfig, IssuerConfig } from '../config/config-schema.js';
import { ErrorCode } from '../errors.js';
import { jwtRefusal, JwtRefusal, translateJwtError } from './jwt-errors.js';
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
    throw jwtRefusal(ErrorCode.TokenInvalid, JwtRefusal.AlgDoesNotFitKey);
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
    if (!issuer || !this.verifier) throw jwtRefusal(ErrorCode.IssuerNotAccepted, JwtRefusal.IssuerNotConfigured);
    const alg = jwt.header.alg;
    if (!alg || !(issuer.config.algorithms as readonly string[]).includes(alg)) {
      throw jwtRefusal(ErrorCode.TokenInvalid, JwtRefusal.AlgNotAccepted);
    }
    if (issuer.typs) {
      const typ = jwt.header.typ;
      if (typeof typ !== 'string' || !issuer.typs.has(normaliseTyp(typ))) throw jwtRefusal(ErrorCode.TokenInvalid, JwtRefusal.TypNotAccepted);
    }
    // RFC 9068 §2.2: exp is required.
    if (typeof jwt.payload.exp !== 'number') throw jwtRefusal(ErrorCode.TokenInvalid, JwtRefusal.NoExp);

    const uri = issuer.props.jwksUri;
    if (this.jwksCache.isStale(uri)) {
      const jwks = await this.jwksCache.refresh(uri);
      // Also drops the verifier's cached key objects, in case a kid now names another key.
      if (jwks) this.verifier.cacheJwks(jwks, issuer.props.issuer);
    }
    let payload: JwtPayload;
    // Whether keys were cached when a fetch was needed: the penalty box's refusal then means an unknown kid.
    let jwksCached = true;
    try {
      try {
        payload = this.verifier.verifySyncDecomposed(jwt, issuer.props);
      } catch (error) {
        if (!(error instanceof JwksNotAvailableInCacheError || error instanceof KidNotFoundInJwksError)) throw error;
        jwksCached = error instanceof KidNotFoundInJwksError;
        // First use or an unknown kid: fetch (the penalty box limits refetches).
        payload = await this.verifier.verifyAsyncDecomposed(jwt, issuer.props);
      }
    } catch (error) {
      throw translateJwtError(error, { cached: jwksCached });
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
  if (typeof exp !== 'number') throw jwtRefusal(ErrorCode.TokenInvalid, JwtRefusal.NoExp);
  if (exp + skew < nowSeconds) throw jwtRefusal(ErrorCode.TokenExpired, JwtRefusal.Expired);
  if (typeof nbf === 'number' && nbf - skew > nowSeconds) throw jwtRefusal(ErrorCode.TokenNotYetValid, JwtRefusal.NotYetValid);
  if (typeof iat === 'number' && iat - skew > nowSeconds) throw jwtRefusal(ErrorCode.TokenNotYetValid, JwtRefusal.IssuedInTheFuture);
}
