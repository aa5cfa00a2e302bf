import type { GatepassConfig, IssuerConfig } from '../../shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { JwtRefusal } from '../../shared/token-validation/jwt-errors.js';
import { decomposeJwt } from '../../shared/token-validation/jwt-structure.js';
import { JwtValidator } from '../../shared/token-validation/jwt-validator.js';
import type { JwksObserver } from '../../shared/token-validation/jwks-source.js';
import { ExchangeUnavailableError } from '../token-endpoint/token-endpoint-errors.js';
import { unverifiedClaimsOf } from './jwt-claims.js';

/**
 * How far gatepass could check an issued token before trusting its claims (the decision
 * line's `issuedTokenVerified`):
 * - `signature`: a JWT whose signature, `iss` (= the authorization server's `issuer`), `alg`
 *   and times were verified with the server's keys;
 * - `keys-unknown`: a JWT from a server whose keys the configuration does not name (no
 *   `jwksUri` on it, and no configured issuer with its `issuer`): its claims are read as sent;
 * - `opaque`: nothing to read (an opaque or encrypted token).
 */
export type IssuedTokenVerification = 'signature' | 'keys-unknown' | 'opaque';

export interface IssuedTokenCheck {
  readonly verification: IssuedTokenVerification;
  /** The claims narrowing and privacy read: verified for `signature`, `{}` for `opaque`. */
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface IssuedTokenVerifierOptions {
  readonly observer?: JwksObserver;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

/** Every algorithm gatepass verifies: the server's own choice is accepted among them. */
const ISSUED_TOKEN_ALGORITHMS: IssuerConfig['algorithms'] = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Verifies the JWTs token endpoints issue, with the JWKS machinery of the authorizer
 * (functions/shared/token-validation: bounded fetch of configured URIs only, AgingJwksCache,
 * alg-fits-key). The keys of an authorization server are its own `jwksUri`, else the `jwksUri`
 * of the configured issuer whose `issuer` equals the server's. A JWT that fails is
 * `exchange_bad_response` (502, never cached); JWKS that cannot be fetched is
 * `exchange_unavailable` (503).
 */
export class IssuedTokenVerifier {
  readonly #validator: JwtValidator | undefined;
  readonly #keyed = new Set<string>();

  constructor(config: GatepassConfig, options: IssuedTokenVerifierOptions = {}) {
    const issuers: Record<string, IssuerConfig> = {};
    for (const [key, server] of Object.entries(config.authorizationServers)) {
      const jwksUri = server.jwksUri ?? Object.values(config.issuers).find((issuer) => issuer.issuer === server.issuer && issuer.jwksUri)?.jwksUri;
      if (jwksUri === undefined || this.#keyed.has(server.issuer)) continue;
      this.#keyed.add(server.issuer);
      issuers[key] = { issuer: server.issuer, jwksUri, algorithms: ISSUED_TOKEN_ALGORITHMS };
    }
    // The authorizer's validator, over the authorization servers instead of the accepted issuers.
    this.#validator = this.#keyed.size > 0 ? new JwtValidator({ ...config, issuers }, options) : undefined;
  }

  /** True when gatepass knows the keys of tokens this issuer signs. */
  knowsKeysOf(issuer: string): boolean {
    return this.#keyed.has(issuer);
  }

  /** Checks an issued token of the server whose `issuer` is given; `where` names the server in messages. */
  async check(token: string, issuer: string, where: string): Promise<IssuedTokenCheck> {
    const unverified = unverifiedClaimsOf(token);
    if (Object.keys(unverified).length === 0) return { verification: 'opaque', claims: {} };
    if (!this.#validator || !this.#keyed.has(issuer)) return { verification: 'keys-unknown', claims: unverified };

    const bad = (why: string) => new GatepassError(ErrorCode.ExchangeBadResponse, `the token ${where} issued ${why}`);
    if (unverified['iss'] !== issuer) throw bad("has an iss other than the authorization server's issuer");
    let payload: Readonly<Record<string, unknown>>;
    try {
      payload = await this.#validator.verify(decomposeJwt(token));
    } catch (error) {
      const reason = error instanceof GatepassError ? error.message : 'could not be verified';
      if (reason === JwtRefusal.JwksUnreachable) {
        throw new ExchangeUnavailableError(`the keys of ${where} could not be fetched to verify the token it issued`, 1);
      }
      throw bad(`failed verification: ${reason}`);
    }
    return { verification: 'signature', claims: payload };
  }
}
