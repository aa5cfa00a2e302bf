import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { HttpRequestError, HttpRequestErrorKind, type BoundedResponse } from '../../shared/http/bounded-http.js';
import { SecretReadError } from '../../shared/secrets/secret-reader.js';

/**
 * Every translation from what the token endpoint path can meet (transport failures,
 * HTTP statuses, RFC 6749 §5.2 error answers, Secrets Manager and key errors) to a
 * gatepass error code lives here. Messages name hosts, statuses and OAuth error codes;
 * never a token, a secret, or the server's free-text `error_description`.
 */

/** Longest Retry-After gatepass passes on, whatever a token endpoint asked for. */
const MAX_RETRY_AFTER_SECONDS = 600;

/**
 * `exchange_unavailable` with the seconds a client should wait before trying again (a whole
 * number from 1 to MAX_RETRY_AFTER_SECONDS): the handler turns `retryAfterSeconds` into the
 * `Retry-After` header of its 503.
 */
export class ExchangeUnavailableError extends GatepassError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(ErrorCode.ExchangeUnavailable, message, options);
    this.name = 'ExchangeUnavailableError';
    this.retryAfterSeconds = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(retryAfterSeconds)));
  }
}

/**
 * What a provider said when it refused, in bounded fields safe for a log line: the RFC 6749
 * `error`, Entra ID's `suberror`, its AADSTS code and its trace and correlation ids
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). Never the
 * `error_description` text: it can quote the user (a UPN, a tenant name); only its leading
 * `AADSTS<digits>` is kept when `error_codes` is absent.
 */
export interface ProviderRefusal {
  readonly error: string;
  readonly suberror?: string;
  /** `AADSTS65001`, from `error_codes[0]` or the description's leading code. */
  readonly providerCode?: string;
  readonly traceId?: string;
  readonly correlationId?: string;
}

/** `exchange_denied` with the provider's refusal, for the decision line. */
export class ExchangeDeniedError extends GatepassError {
  readonly refusal: ProviderRefusal;

  constructor(message: string, refusal: ProviderRefusal) {
    super(ErrorCode.ExchangeDenied, message);
    this.name = 'ExchangeDeniedError';
    this.refusal = refusal;
  }
}

/** How a token endpoint answer or failure is handled. */
export type AttemptOutcome =
  | { readonly kind: 'answer' }
  /** Worth another attempt (network error, timeout, 429, 5xx, temporarily_unavailable). */
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  /**
   * The gateway's client authentication was refused (any 401, or invalid_client): the rotation
   * path. Without client authentication (clientAuth "none"): the server asks for a client.
   */
  | { readonly kind: 'invalid_client'; readonly status: number; readonly error?: string }
  | { readonly kind: 'fail'; readonly error: GatepassError };

/** RFC 6749 §5.2 and RFC 8693 §2.2.2 error codes that mean "not this exchange". */
const DENIED = new Set(['invalid_grant', 'invalid_target', 'invalid_scope', 'unauthorized_client', 'invalid_request', 'access_denied']);
const TRANSIENT = new Set(['temporarily_unavailable', 'server_error']);
/** RFC 6749 §5.2 `error`: printable ASCII except `"` and `\`. */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
/** Entra's suberror values are short snake_case words (consent_required, basic_action, ...). */
const SUBERROR = /^[A-Za-z0-9_.-]{1,64}$/;
const AADSTS_PREFIX = /^(AADSTS\d{1,10}):/;
/** Entra's trace_id and correlation_id are GUIDs: nothing else is logged from them. */
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The `error` of an RFC 6749 §5.2 answer, or undefined when the body is not one. */
export function oauthErrorOf(body: Buffer, contentType: string | undefined): string | undefined {
  if (!isJsonMediaType(contentType)) return undefined;
  const parsed = safeJsonObject(body);
  const error = parsed?.['error'];
  return typeof error === 'string' && ERROR_CODE.test(error) ? error : undefined;
}

/** The bounded refusal fields of an error answer whose `error` is `error` (see ProviderRefusal). */
export function providerRefusalOf(error: string, body: Buffer): ProviderRefusal {
  const fields = safeJsonObject(body) ?? {};
  const text = (name: string, pattern: RegExp): string | undefined => {
    const value = fields[name];
    return typeof value === 'string' && pattern.test(value) ? value : undefined;
  };
  const codes = fields['error_codes'];
  const firstCode = Array.isArray(codes) && Number.isSafeInteger(codes[0]) && (codes[0] as number) >= 0 ? `AADSTS${codes[0] as number}` : undefined;
  const description = fields['error_description'];
  const describedCode = typeof description === 'string' ? AADSTS_PREFIX.exec(description.slice(0, 24))?.[1] : undefined;
  const refusal: Record<string, string> = { error };
  const suberror = text('suberror', SUBERROR);
  const providerCode = firstCode ?? describedCode;
  const traceId = text('trace_id', GUID);
  const correlationId = text('correlation_id', GUID);
  if (suberror) refusal['suberror'] = suberror;
  if (providerCode) refusal['providerCode'] = providerCode;
  if (traceId) refusal['traceId'] = traceId;
  if (correlationId) refusal['correlationId'] = correlationId;
  return refusal as unknown as ProviderRefusal;
}

/** What gatepass sent with the request that was answered. */
export interface AnswerContext {
  /** False with clientAuth "none": no Authorization header, no client field was sent. */
  readonly clientAuthenticated: boolean;
}

/**
 * Sorts one HTTP answer. 2xx goes on to response validation; everything else becomes a
 * retry, the rotation path, or an error code.
 */
export function classifyAnswer(
  status: number,
  headers: BoundedResponse['headers'],
  body: Buffer,
  where: string,
  nowMs: number,
  context: AnswerContext = { clientAuthenticated: true },
): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'answer' };
  if (status >= 300 && status < 400) {
    return fail(ErrorCode.ExchangeBadResponse, `${where} answered a redirect (${status}); redirects are never followed`);
  }
  const oauthError = oauthErrorOf(body, headers['content-type']);
  if (status === 429 || status >= 500 || (oauthError !== undefined && TRANSIENT.has(oauthError))) {
    const retryAfterMs = retryAfterMsOf(headers['retry-after'], nowMs);
    return { kind: 'retry', reason: `${where} answered ${status}${oauthError ? ` ${oauthError}` : ''}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  // Any 401 refuses the gateway's own credentials: Keycloak answers a wrong secret with
  // 401 unauthorized_client, Auth0 with 401 access_denied (docs/design.md "Authorization servers beyond RFC 8693").
  // With no client authentication sent, only invalid_client or a bare 401 asks for a client (RFC 6749 §5.2);
  // a 401 with another OAuth error refuses the exchange itself, so it is exchange_denied below.
  const asksForClient = oauthError === 'invalid_client' || (status === 401 && (context.clientAuthenticated || oauthError === undefined));
  if (asksForClient) return { kind: 'invalid_client', status, ...(oauthError !== undefined ? { error: oauthError } : {}) };
  if (oauthError === 'unsupported_grant_type') {
    return fail(ErrorCode.GatewayMisconfigured, `${where} does not support the grant gatepass uses (unsupported_grant_type)`);
  }
  if (oauthError !== undefined && (status === 400 || status === 401 || status === 403)) {
    // Unknown extension codes are refusals too: the server understood and said no.
    const refusal = providerRefusalOf(oauthError, body);
    const details = [refusal.suberror, refusal.providerCode].filter((d) => d !== undefined);
    const message = `${where} refused the exchange: ${oauthError}${details.length > 0 ? ` (${details.join(', ')})` : ''}${DENIED.has(oauthError) ? '' : ' (extension error code)'}`;
    return { kind: 'fail', error: new ExchangeDeniedError(message, refusal) };
  }
  return fail(ErrorCode.ExchangeBadResponse, `${where} answered ${status} without an OAuth error`);
}

/** A failed request: network errors, timeouts and cut-off answers are retried, an oversized answer is not. */
export function classifyTransportFailure(failure: unknown): AttemptOutcome {
  if (failure instanceof HttpRequestError) {
    if (failure.kind === HttpRequestErrorKind.TooLarge) return fail(ErrorCode.ExchangeBadResponse, failure.message);
    return { kind: 'retry', reason: failure.message };
  }
  return { kind: 'retry', reason: 'token endpoint request failed' };
}

/** `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as milliseconds from now. */
export function retryAfterMsOf(value: string | string[] | undefined, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (!Number.isFinite(date) || !/[A-Za-z]/.test(text)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * A client secret that could not be read (the shared reader's SecretReadError): permanent
 * failures stay `gateway_misconfigured`; passing ones (timeouts, throttling, outages, or
 * anything else a reader throws) become a 503 that asks the caller to retry in a second.
 */
export function secretsFailure(error: unknown, secretId: string): GatepassError {
  if (error instanceof SecretReadError && !error.transient) return error;
  const what = error instanceof SecretReadError ? error.failure : 'unknown error';
  return new ExchangeUnavailableError(`client secret ${secretId} could not be read now: ${what}`, 1, { cause: error });
}

/**
 * A private key that jose cannot import or sign with: jose's stable `code` names why (the
 * one place jose errors are translated). No `cause`, unlike other translations: the
 * WebCrypto error under it may hold parts of the key.
 */
export function keyFailure(error: unknown, secretId: string): GatepassError {
  const name = error instanceof Error ? ((error as { code?: unknown }).code ?? error.name) : 'unknown error';
  return new GatepassError(ErrorCode.GatewayMisconfigured, `private_key_jwk of client secret ${secretId} is not usable: ${String(name)}`);
}

export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json';
}

/** Parses a JSON object; undefined for anything else. JSON.parse's message quotes its input, so it is dropped. */
export function safeJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function fail(code: ErrorCode, message: string): AttemptOutcome {
  return { kind: 'fail', error: new GatepassError(code, message) };
}
