import { ClientAuth, Grant, type AuthorizationServerConfig, type GatepassConfig, type Settings } from '../../shared/config/config-schema.js';
import { isLoopbackHost } from '../../shared/config/config-validator.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { MetricName } from '../../shared/contracts/metric-names.js';
import { verifyIssuedAudience } from '../policy/audience-narrowing.js';
import { IssuedTokenVerifier } from '../policy/issued-token-verifier.js';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { ClientAuthenticator, NO_CLIENT_AUTHENTICATION, type ClientAuthMethod } from './client-authentication.js';
import { ClientSecretsFromReader, type ClientCredentials, type ClientSecretSource } from './client-secrets.js';
import { exchangeSecretBounds, type SecretReader } from '../../shared/secrets/secret-reader.js';
import { secretsManagerReader } from '../../shared/secrets/secrets-manager-reader.js';
import { systemClock, type Clock } from '../exchange-clock.js';
import type { ExchangeRequest, IssuedToken } from '../exchange-model.js';
import { silentLog, silentMetrics, type LogSink, type MetricSink } from '../../shared/telemetry/telemetry-sinks.js';
import { fullJitterDelayMs } from './retry-backoff.js';
import { verifyNarrowing } from '../policy/scope-narrowing.js';
import { classifyAnswer, classifyTransportFailure, ExchangeUnavailableError, type AttemptOutcome } from './token-endpoint-errors.js';
import { boundedRequest, type BoundedResponse } from '../../shared/http/bounded-http.js';
import { validateTokenResponse, type ResponseExpectation } from './token-response-validator.js';

/**
 * The token endpoint client (RFC 8693 token exchange, or RFC 7523 §2.1 jwt-bearer where the
 * authorization server's `grant` says so): build once at Lambda init, call per request.
 *
 *   const client = new TokenExchangeClient({ config, log, metrics });
 *   const issued = await client.exchange(request);            // IssuedToken or a GatepassError
 *
 * `exchange` sends one grant (form POST, client authentication per the authorization server's
 * `clientAuth`, plus its static `parameters`), validates the answer strictly, verifies a JWT
 * issued token's signature when the server's keys are known (issued-token-verifier.ts), then
 * checks that the granted scope is narrower (scope-narrowing.ts), that a readable issued token
 * is meant for the requested audience only (audience-narrowing.ts) and carries none of the
 * route's `forbiddenClaims`. The token's own `exp` goes with it, so the cache never keeps it longer.
 *
 * jwt-bearer (Entra ID On-Behalf-Of): `assertion` = the subject token, `scope`; no
 * `audience`, `resource`, token types or actor (RFC 7523 defines none of them; Entra v2.0 names
 * the resource in the scope). A route's `audience`/`resource` then only say which `aud` the
 * issued token may carry. The static `parameters` go with every grant at the server, the
 * gateway's client_credentials grant included. `clientCredentialsToken`
 * gets the gateway's own token (actor mode `gateway`), cached until `refreshMarginSeconds`
 * before it expires.
 *
 * Every failure is a `GatepassError`: `exchange_denied` (403), `exchange_not_narrower`,
 * `exchange_bad_response` (502), `exchange_unavailable` (503, an `ExchangeUnavailableError`
 * with `retryAfterSeconds`), `gateway_misconfigured` (500). Messages and log lines never hold
 * a token or a secret.
 *
 * Hardening (settings.exchange): connect and per-attempt timeouts, no redirects, a response
 * size cap, up to `maxAttempts` attempts with full-jitter backoff for network errors, 429,
 * 5xx and `temporarily_unavailable` (a `Retry-After` is honoured when it fits), all inside
 * `deadlineMs`; a circuit breaker per authorization server; on any 401 or `invalid_client` one
 * secret re-read and, when it brought another secret, one more try. Only the token endpoints and
 * JWKS URIs of the configuration are ever called.
 *
 * clientAuth "none" (Google STS): no secret is read, no Authorization header and no client
 * field is sent, so a refusal cannot be a rotated secret: `invalid_client` or a 401 without an
 * OAuth error means the server wants a client (`gateway_misconfigured`, no re-read), a 401 with
 * another OAuth error refuses the exchange (`exchange_denied`); see token-endpoint-errors.ts.
 */

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 7523 §2.1. */
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

export interface TokenExchangeClientOptions {
  /** The validated configuration (validateConfig / loadConfigFromEnv). */
  readonly config: GatepassConfig;
  /** Parsed client credentials (tests pass their own); default: read through `readSecret`. */
  readonly secrets?: ClientSecretSource;
  /** The exchange Lambda's one Secrets Manager reader; default: a reader of its own with exchangeSecretBounds(settings). */
  readonly readSecret?: SecretReader;
  readonly clock?: Clock;
  /** Jitter source in [0, 1); default Math.random. */
  readonly random?: () => number;
  /** Default silent. */
  readonly log?: LogSink;
  /** Default silent. */
  readonly metrics?: MetricSink;
  /** Verifies issued JWTs; default: one over this configuration's keys. */
  readonly issuedTokens?: IssuedTokenVerifier;
}

type ExchangeSettings = Settings['exchange'];

interface ServerEntry {
  readonly key: string;
  readonly config: AuthorizationServerConfig;
  readonly url: URL;
  /** For messages: key and host, no path or query. */
  readonly where: string;
  readonly breaker: CircuitBreaker;
  /** How gatepass authenticates there and the secret it reads for it; undefined with clientAuth "none". */
  readonly client: { readonly method: ClientAuthMethod; readonly secretId: string } | undefined;
}

type Form = readonly (readonly [string, string])[];

/** How one round (attempts with retries) at a token endpoint ended. */
type RoundOutcome =
  | { readonly kind: 'answer'; readonly response: BoundedResponse }
  | { readonly kind: 'invalid_client'; readonly status: number; readonly error?: string }
  | { readonly kind: 'fail'; readonly error: GatepassError }
  | { readonly kind: 'unavailable'; readonly error: ExchangeUnavailableError };
type RoundResult = Extract<RoundOutcome, { kind: 'answer' | 'invalid_client' }>;

interface CachedGatewayToken {
  readonly token: IssuedToken;
  /** Epoch ms after which a new token is fetched. */
  readonly refreshAt: number;
}

export class TokenExchangeClient {
  readonly #settings: ExchangeSettings;
  readonly #skewSeconds: number;
  readonly #servers = new Map<string, ServerEntry>();
  readonly #secrets: ClientSecretSource;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: LogSink;
  readonly #metrics: MetricSink;
  readonly #authenticator: ClientAuthenticator;
  readonly #gatewayTokens = new Map<string, CachedGatewayToken>();
  readonly #gatewayTokensInFlight = new Map<string, Promise<IssuedToken>>();
  readonly #issuedTokens: IssuedTokenVerifier;

  constructor(options: TokenExchangeClientOptions) {
    const { config } = options;
    this.#settings = config.settings.exchange;
    this.#skewSeconds = config.settings.clockSkewSeconds;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? silentLog;
    this.#metrics = options.metrics ?? silentMetrics;
    this.#secrets = options.secrets ?? new ClientSecretsFromReader(options.readSecret ?? secretsManagerReader(exchangeSecretBounds(config.settings)), () => this.#clock.now());
    this.#authenticator = new ClientAuthenticator(this.#clock);
    this.#issuedTokens = options.issuedTokens ?? new IssuedTokenVerifier(config, { now: () => this.#clock.now() });

    for (const [key, server] of Object.entries(config.authorizationServers)) {
      const url = new URL(server.tokenEndpoint);
      // The config validator already enforces this; re-checked because this is where requests leave.
      const loopbackHttp = url.protocol === 'http:' && config.insecureLoopbackHttp && isLoopbackHost(url.hostname);
      if (url.protocol !== 'https:' && !loopbackHttp) {
        throw new GatepassError(ErrorCode.GatewayMisconfigured, `authorizationServers.${key}.tokenEndpoint must use https`);
      }
      const where = `token endpoint of ${key} (${url.host})`;
      const client = clientOf(key, server);
      const breaker = new CircuitBreaker({
        name: key,
        failureThreshold: this.#settings.circuitBreaker.failureThreshold,
        openSeconds: this.#settings.circuitBreaker.openSeconds,
        clock: this.#clock,
      });
      this.#servers.set(key, { key, config: server, url, where, breaker, client });
    }
  }

  /** Performs one exchange: RFC 8693 token exchange, or RFC 7523 jwt-bearer per the server's `grant`. */
  async exchange(request: ExchangeRequest): Promise<IssuedToken> {
    const server = this.#server(request.authorizationServer);
    if (request.subjectToken === '') throw new GatepassError(ErrorCode.TokenMissing, 'empty subject token');
    const jwtBearer = server.config.grant === Grant.JwtBearer;
    const form: [string, string][] = [];
    if (jwtBearer) {
      form.push(['grant_type', JWT_BEARER_GRANT], ['assertion', request.subjectToken]);
      if (request.scope.length > 0) form.push(['scope', request.scope.join(' ')]);
    } else {
      form.push(
        ['grant_type', TOKEN_EXCHANGE_GRANT],
        ['subject_token', request.subjectToken],
        ['subject_token_type', request.subjectTokenType],
        ['requested_token_type', request.requestedTokenType],
      );
      for (const audience of request.audience) form.push(['audience', audience]);
      for (const resource of request.resource) form.push(['resource', resource]);
      if (request.scope.length > 0) form.push(['scope', request.scope.join(' ')]);
      if (request.actor) {
        form.push(['actor_token', request.actor.token], ['actor_token_type', request.actor.tokenType]);
      }
    }

    const answered = await this.#call(
      server,
      form,
      jwtBearer
        ? { grant: 'jwt-bearer', requestedScope: request.scope, fallbackTtlSeconds: this.#settings.fallbackTtlSeconds }
        : { grant: 'token-exchange', requestedTokenType: request.requestedTokenType, requestedScope: request.scope, fallbackTtlSeconds: this.#settings.fallbackTtlSeconds },
    );
    // Signature first: narrowing and privacy read the claims only once they are known to be the server's.
    const checked = await this.#issuedTokens.check(answered.accessToken, server.config.issuer, server.where);
    const issued = this.#withOwnExpiry(answered, checked.claims, server.where);
    const narrowing = verifyNarrowing(
      {
        requested: request.scope,
        granted: issued.scope,
        issuedToken: issued.accessToken,
        issuedClaims: checked.claims,
        routeAudiences: [...request.audience, ...request.resource],
        ...(request.subjectScopes !== undefined ? { subjectScopes: request.subjectScopes } : {}),
      },
      server.where,
    );
    verifyIssuedAudience(
      { audience: request.audience, resource: request.resource, issuedToken: issued.accessToken, issuedTokenType: issued.issuedTokenType, issuedClaims: checked.claims },
      server.where,
    );
    verifyNoForbiddenClaims(request.forbiddenClaims ?? [], checked, server.where);
    return {
      ...issued,
      verification: checked.verification,
      identityScopes: narrowing.identityScopes,
      ...(narrowing.defaultScopeResources.length > 0 ? { defaultScopeResources: narrowing.defaultScopeResources } : {}),
    };
  }

  /**
   * The token's own `exp` beside the answer's lifetime, so the cache never keeps it longer
   * (read also when unverified: it can only shorten the entry). Already expired:
   * `exchange_bad_response`.
   */
  #withOwnExpiry(issued: IssuedToken, claims: Readonly<Record<string, unknown>>, where: string): IssuedToken {
    const exp = claims['exp'];
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return issued;
    if (exp + this.#skewSeconds <= this.#clock.now() / 1000) throw new GatepassError(ErrorCode.ExchangeBadResponse, `the token ${where} issued has already expired`);
    return { ...issued, ownExpiresAt: exp };
  }

  /**
   * The gateway's own access token at an authorization server (client_credentials grant,
   * no scope, no resource), for actor mode `gateway`. Reused until `refreshMarginSeconds`
   * before it expires; concurrent callers share one request.
   */
  clientCredentialsToken(authorizationServer: string): Promise<IssuedToken> {
    const server = this.#server(authorizationServer);
    const cached = this.#gatewayTokens.get(server.key);
    if (cached && this.#clock.now() < cached.refreshAt) return Promise.resolve(cached.token);
    const pending = this.#gatewayTokensInFlight.get(server.key);
    if (pending) return pending;
    const fetch = this.#fetchGatewayToken(server).finally(() => this.#gatewayTokensInFlight.delete(server.key));
    this.#gatewayTokensInFlight.set(server.key, fetch);
    return fetch;
  }

  /** The circuit state of an authorization server (for health output and tests). */
  circuitState(authorizationServer: string): CircuitState {
    return this.#server(authorizationServer).breaker.state;
  }

  async #fetchGatewayToken(server: ServerEntry): Promise<IssuedToken> {
    // The config validator refuses actor "gateway" here; re-checked: a client_credentials grant needs a client.
    if (server.client === undefined) {
      throw new GatepassError(ErrorCode.GatewayMisconfigured, `authorization server ${server.key} has clientAuth "none": the gateway has no client identity there to get its own token`);
    }
    const started = this.#clock.now();
    const token = await this.#call(server, [['grant_type', CLIENT_CREDENTIALS_GRANT]], {
      grant: 'client_credentials',
      requestedScope: [],
      fallbackTtlSeconds: this.#settings.fallbackTtlSeconds,
    });
    const usableMs = (token.expiresIn - this.#settings.refreshMarginSeconds) * 1000;
    // A token that expires inside the margin serves this request only.
    if (usableMs > 0) this.#gatewayTokens.set(server.key, { token, refreshAt: started + usableMs });
    return token;
  }

  #server(key: string): ServerEntry {
    const server = this.#servers.get(key);
    if (!server) throw new GatepassError(ErrorCode.GatewayMisconfigured, `no authorization server ${JSON.stringify(key.slice(0, 64))} in the configuration`);
    return server;
  }

  /** One grant at one server: credentials, rounds of attempts, rotation, validation. */
  async #call(server: ServerEntry, form: Form, expectation: ResponseExpectation): Promise<IssuedToken> {
    const deadline = this.#clock.now() + this.#settings.deadlineMs;
    if (server.client === undefined) return this.#unauthenticatedCall(server, form, expectation, deadline);
    const { secretId } = server.client;
    const credentials = await this.#secrets.get(secretId);
    let result = await this.#round(server, form, credentials, deadline);
    if (result.kind === 'invalid_client') {
      this.#log.warn('token endpoint refused the gateway client credentials; re-reading the client secret', {
        event: 'exchange.client_secret_refresh',
        authorizationServer: server.key,
        secretId,
        clientId: credentials.clientId,
        status: result.status,
        error: result.error,
      });
      const fresh = await this.#secrets.refresh(secretId);
      // Same secret again: one more try could only fail the same way.
      if (fresh.fingerprint !== credentials.fingerprint) result = await this.#round(server, form, fresh, deadline);
      if (result.kind === 'invalid_client') {
        this.#log.error('token endpoint refused the gateway client credentials, also after a secret refresh', {
          event: 'exchange.client_rejected',
          authorizationServer: server.key,
          secretId,
          clientId: fresh.clientId,
          secretFingerprint: fresh.fingerprint,
          status: result.status,
          error: result.error,
        });
        this.#metrics.count(MetricName.ClientCredentialsRejected);
        const answer = `${result.status}${result.error !== undefined ? ` ${result.error}` : ''}`;
        throw new GatepassError(ErrorCode.GatewayMisconfigured, `${server.where} refused the gateway client credentials (${answer}), also after a secret refresh`);
      }
    }
    return validateTokenResponse(result.response.headers, result.response.body, expectation, server.where);
  }

  /**
   * One grant at a server with clientAuth "none". Nothing was authenticated, so a refusal of
   * the client cannot be cured by re-reading a secret: the server wants a client gatepass is
   * not configured to be.
   */
  async #unauthenticatedCall(server: ServerEntry, form: Form, expectation: ResponseExpectation, deadline: number): Promise<IssuedToken> {
    const result = await this.#round(server, form, undefined, deadline);
    if (result.kind === 'invalid_client') {
      this.#log.error('token endpoint asked for client authentication, which clientAuth "none" does not send', {
        event: 'exchange.client_authentication_required',
        authorizationServer: server.key,
        status: result.status,
        error: result.error,
      });
      this.#metrics.count(MetricName.ClientCredentialsRejected);
      const answer = `${result.status}${result.error !== undefined ? ` ${result.error}` : ''}`;
      throw new GatepassError(
        ErrorCode.GatewayMisconfigured,
        `${server.where} asked for client authentication (${answer}), but its clientAuth is "none": set the clientAuth and clientSecretId the server expects`,
      );
    }
    return validateTokenResponse(result.response.headers, result.response.body, expectation, server.where);
  }

  /** Attempts at one server through its circuit breaker; unavailability counts against it. */
  async #round(server: ServerEntry, form: Form, credentials: ClientCredentials | undefined, deadline: number): Promise<RoundResult> {
    const { breaker } = server;
    breaker.acquire();
    let outcome: RoundOutcome;
    try {
      outcome = await this.#attempts(server, form, credentials, deadline);
    } catch (error) {
      // A local failure (key import, signing): the server was not asked, the circuit learns nothing.
      breaker.release();
      throw error;
    }
    switch (outcome.kind) {
      case 'answer':
      case 'invalid_client':
        breaker.success();
        return outcome;
      case 'fail':
        breaker.success();
        throw outcome.error;
      case 'unavailable': {
        if (breaker.failure()) {
          this.#log.warn('token endpoint circuit opened', {
            event: 'exchange.circuit_open',
            authorizationServer: server.key,
            openSeconds: this.#settings.circuitBreaker.openSeconds,
          });
          this.#metrics.count(MetricName.TokenEndpointCircuitOpened);
        }
        const { error } = outcome;
        const retryAfter = Math.ceil(Math.max(error.retryAfterSeconds, breaker.secondsUntilProbe));
        if (retryAfter === error.retryAfterSeconds) throw error;
        throw new ExchangeUnavailableError(error.message, retryAfter, { cause: error.cause });
      }
    }
  }

  async #attempts(
    server: ServerEntry,
    form: Form,
    /** Undefined with clientAuth "none": nothing to authenticate with. */
    credentials: ClientCredentials | undefined,
    deadline: number,
  ): Promise<RoundOutcome> {
    const { maxAttempts, connectTimeoutMs, requestTimeoutMs, maxResponseBytes } = this.#settings;
    let lastReason = 'no attempt was made';
    let retryAfterSeconds = 1;
    let attempt = 0;
    while (attempt < maxAttempts) {
      const remaining = deadline - this.#clock.now();
      if (remaining <= 0) {
        lastReason = `the ${this.#settings.deadlineMs} ms deadline passed; last: ${lastReason}`;
        break;
      }
      attempt += 1;
      const { client } = server;
      const auth =
        client === undefined || credentials === undefined
          ? NO_CLIENT_AUTHENTICATION
          : await this.#authenticator.authenticate(client.method, credentials, { tokenEndpoint: server.config.tokenEndpoint, secretId: client.secretId });
      // The server's static parameters go with every grant (the schema refuses names the grant or the authentication send).
      const body = new URLSearchParams([...form, ...Object.entries(server.config.parameters), ...auth.params] as [string, string][]).toString();
      const started = this.#clock.now();
      let outcome: AttemptOutcome;
      let response: BoundedResponse | undefined;
      try {
        response = await boundedRequest({
          url: server.url,
          method: 'POST',
          headers: { accept: 'application/json', 'user-agent': 'gatepass', ...auth.headers, 'content-type': 'application/x-www-form-urlencoded' },
          body,
          connectTimeoutMs: Math.min(connectTimeoutMs, remaining),
          timeoutMs: Math.min(requestTimeoutMs, remaining),
          maxResponseBytes,
        });
        outcome = classifyAnswer(response.status, response.headers, response.body, server.where, this.#clock.now(), { clientAuthenticated: credentials !== undefined });
      } catch (failure) {
        outcome = classifyTransportFailure(failure);
      }
      this.#metrics.timing(MetricName.TokenEndpointLatency, this.#clock.now() - started);

      if (outcome.kind === 'answer') return { kind: 'answer', response: response! };
      if (outcome.kind === 'invalid_client' || outcome.kind === 'fail') return outcome;

      lastReason = outcome.reason;
      if (outcome.retryAfterMs !== undefined) retryAfterSeconds = outcome.retryAfterMs / 1000;
      if (attempt >= maxAttempts) break;
      const delay = outcome.retryAfterMs ?? fullJitterDelayMs(attempt, this.#random);
      if (this.#clock.now() + delay >= deadline) {
        lastReason = `${lastReason}; the next try would pass the ${this.#settings.deadlineMs} ms deadline`;
        break;
      }
      this.#metrics.count(MetricName.TokenEndpointRetry);
      this.#log.debug('retrying the token endpoint', { event: 'exchange.retry', authorizationServer: server.key, attempt, delayMs: delay });
      await this.#clock.sleep(delay);
    }
    return {
      kind: 'unavailable',
      error: new ExchangeUnavailableError(`authorization server ${server.key} unavailable after ${attempt} attempt(s): ${lastReason}`, retryAfterSeconds),
    };
  }
}

/** The server's client authentication; undefined with clientAuth "none". */
function clientOf(key: string, server: AuthorizationServerConfig): ServerEntry['client'] {
  if (server.clientAuth === ClientAuth.None) return undefined;
  // The config validator already enforces this; re-checked so that no request leaves half authenticated.
  if (server.clientSecretId === undefined) {
    throw new GatepassError(ErrorCode.GatewayMisconfigured, `authorizationServers.${key}.clientSecretId is required with clientAuth "${server.clientAuth}"`);
  }
  return { method: server.clientAuth, secretId: server.clientSecretId };
}

/**
 * Verified privacy: an issued token must carry none of the route's `forbiddenClaims`. The
 * payload checked is the one the upstream receives, so this holds with or without the
 * server's keys; an opaque token cannot be shown to be free of them and is refused (fail
 * closed). Both refusals are `exchange_not_narrower`, never cached.
 */
function verifyNoForbiddenClaims(forbidden: readonly string[], checked: { readonly verification: string; readonly claims: Readonly<Record<string, unknown>> }, where: string): void {
  if (forbidden.length === 0) return;
  if (checked.verification === 'opaque') {
    throw new GatepassError(ErrorCode.ExchangeNotNarrower, `the token ${where} issued is opaque, so it cannot be shown to carry none of the route's forbiddenClaims`);
  }
  const carried = forbidden.filter((claim) => Object.hasOwn(checked.claims, claim));
  if (carried.length > 0) {
    throw new GatepassError(ErrorCode.ExchangeNotNarrower, `the token ${where} issued carries ${carried.length} claim(s) the route forbids: ${carried.slice(0, 10).join(' ')}`);
  }
}
