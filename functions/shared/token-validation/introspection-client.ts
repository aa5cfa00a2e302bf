import type { GatepassConfig, IssuerConfig } from '../config/config-schema.js';
import { boundedRequest } from '../http/bounded-http.js';
import { audiencesOf } from '../claims.js';
import { clientSecretAuthentication } from '../client-secret-authentication.js';
import { ErrorCode, GatepassError } from '../errors.js';
import { ExpiringLru } from '../expiring-lru.js';
import { SecretReadError, type SecretReader } from '../secrets/secret-reader.js';

interface IntrospectionCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Failure to reach or understand the introspection endpoint (as opposed to an inactive token). */
export class IntrospectionUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IntrospectionUnavailableError';
  }
}

function parseCredentials(secretId: string, text: string): IntrospectionCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new IntrospectionUnavailableError(`secret ${secretId} is not JSON`);
  }
  const { client_id: clientId, client_secret: clientSecret } = (value ?? {}) as Record<string, unknown>;
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
    throw new IntrospectionUnavailableError(`secret ${secretId} must hold {"client_id": "...", "client_secret": "..."}`);
  }
  return { clientId, clientSecret };
}

export interface IntrospectionResult {
  readonly claims: Readonly<Record<string, unknown>>;
  readonly cached: boolean;
}

/**
 * RFC 7662 token introspection for issuers that configure it. Only `"active": true`
 * (the boolean) is active. Positive answers are reused for at most the issuer's
 * `cacheTtlSeconds` and never beyond the token's `exp`; failures and inactive
 * answers are never cached.
 */
export class IntrospectionClient {
  private readonly positive: ExpiringLru<Readonly<Record<string, unknown>>>;

  constructor(
    private readonly config: GatepassConfig,
    private readonly readSecret: SecretReader,
    private readonly now: () => number = Date.now,
  ) {
    this.positive = new ExpiringLru(config.settings.verifiedTokenMemo.maxEntries, now);
  }

  /** `tokenHash`: the token's SHA-256 in hex, which the caller has already computed for the tokenId. */
  async introspect(issuerKey: string, token: string, tokenHash: string): Promise<IntrospectionResult> {
    const issuer = this.config.issuers[issuerKey];
    const settings = issuer?.introspection;
    if (!issuer || !settings) throw new GatepassError(ErrorCode.TokenInvalid, 'issuer does not introspect');
    const cacheKey = `${issuerKey}:${tokenHash}`;
    const hit = this.positive.get(cacheKey);
    if (hit) {
      this.checkClaims(issuer, hit);
      return { claims: hit, cached: true };
    }

    // One deadline for the whole introspection, rotation included: a refused call, a secret
    // re-read and a second call must still fit settings.introspection.timeoutMs (the authorizer's budget).
    const deadline = this.now() + this.config.settings.introspection.timeoutMs;
    let response = await this.call(issuer, token, false, deadline);
    if (response.status === 401) response = await this.call(issuer, token, true, deadline); // credentials rotated
    if (response.status !== 200) throw new IntrospectionUnavailableError(`introspection endpoint answered HTTP ${response.status}`);
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new IntrospectionUnavailableError('introspection answer is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new IntrospectionUnavailableError('introspection answer is not an object');
    const claims = body as Record<string, unknown>;
    if (claims['active'] !== true) throw new GatepassError(ErrorCode.TokenInvalid, 'token is not active (introspection)');
    this.checkClaims(issuer, claims);

    const nowMs = this.now();
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : Number.POSITIVE_INFINITY;
    this.positive.set(cacheKey, claims, Math.min(nowMs + settings.cacheTtlSeconds * 1000, exp));
    return { claims, cached: false };
  }

  private checkClaims(issuer: IssuerConfig, claims: Readonly<Record<string, unknown>>): void {
    const nowSeconds = this.now() / 1000;
    const skew = this.config.settings.clockSkewSeconds;
    const { iss, exp, nbf } = claims;
    if (iss !== undefined && iss !== issuer.issuer) throw new GatepassError(ErrorCode.IssuerNotAccepted, 'introspected token has another issuer');
    if (exp !== undefined && typeof exp !== 'number') throw new GatepassError(ErrorCode.TokenInvalid, 'introspected exp is not a number');
    if (typeof exp === 'number' && exp + skew < nowSeconds) throw new GatepassError(ErrorCode.TokenExpired, 'introspected token expired');
    if (typeof nbf === 'number' && nbf - skew > nowSeconds) throw new GatepassError(ErrorCode.TokenNotYetValid, 'introspected token not valid yet');
    if (issuer.audiences) {
      const aud = audiencesOf(claims);
      if (!aud.some((a) => issuer.audiences!.includes(a))) throw new GatepassError(ErrorCode.AudienceNotAccepted, 'introspected audience not accepted');
    }
  }

  private async call(issuer: IssuerConfig, token: string, forceFetch: boolean, deadline: number) {
    const settings = issuer.introspection!;
    const text = await this.readCredentialsText(settings.clientSecretId, forceFetch, deadline);
    const credentials = parseCredentials(settings.clientSecretId, text);
    // RFC 7662 §2.1: the protected resource authenticates as a client, as at a token endpoint.
    const auth = clientSecretAuthentication(settings.clientAuth, credentials.clientId, credentials.clientSecret);
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    for (const [name, value] of auth.params) form.append(name, value);
    const limits = this.config.settings.introspection;
    const remaining = Math.min(limits.timeoutMs, deadline - this.now());
    if (remaining <= 0) throw this.outOfTime();
    try {
      return await boundedRequest({
        url: settings.endpoint,
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...auth.headers },
        body: form.toString(),
        // settings.introspection has no connect budget of its own: connecting may use the whole one.
        connectTimeoutMs: remaining,
        timeoutMs: remaining,
        maxResponseBytes: limits.maxBytes,
      });
    } catch (error) {
      throw new IntrospectionUnavailableError('introspection endpoint unreachable', { cause: error });
    }
  }

  /**
   * The credentials' text, read within what is left of the introspection's deadline: the
   * reader's own deadline is a whole timeoutMs, which a re-read after a refused call must share.
   * The reader keeps the text for settings.exchange.secretMaxAgeSeconds; parsing it again costs microseconds.
   */
  private async readCredentialsText(secretId: string, forceFetch: boolean, deadline: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      // Worded like the reader's own timeout (SecretReadError): operators search for the secret id.
      const budget = this.config.settings.introspection.timeoutMs;
      const message = `secret ${secretId} could not be read: timeout (within the introspection's ${budget} ms)`;
      timer = setTimeout(() => reject(new IntrospectionUnavailableError(message)), Math.max(0, deadline - this.now()));
    });
    const read = this.readSecret(secretId, { forceFetch }).catch((error: unknown) => {
      // Secrets Manager down, slow or throttling: the endpoint cannot be asked, like a network failure (401, IntrospectionFailed), not a gatepass bug (500).
      const message = error instanceof SecretReadError ? error.message : `secret ${secretId} could not be read`;
      throw new IntrospectionUnavailableError(message, { cause: error });
    });
    try {
      return await Promise.race([read, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private outOfTime(): IntrospectionUnavailableError {
    return new IntrospectionUnavailableError(`introspection did not finish within ${this.config.settings.introspection.timeoutMs} ms`);
  }
}
