import type { Settings } from '../config/config-schema.js';
import { ErrorCode, GatepassError } from '../errors.js';

/**
 * How gatepass reads a secret's text (introspection credentials, client secrets, the cache
 * key). `forceFetch` reads past every cache: the caller saw the value refused and it may
 * have rotated. Rejects only with a SecretReadError.
 */
export type SecretReader = (secretId: string, options: SecretReadOptions) => Promise<string>;

export interface SecretReadOptions {
  readonly forceFetch: boolean;
}

/** Bounds of a Secrets Manager reader; every one is required so that each function states its own budget. */
export interface SecretsManagerReaderOptions {
  /** A read value is reused for this long; 0 reads every time (settings.exchange.secretMaxAgeSeconds). */
  readonly maxAgeSeconds: number;
  /** TCP (and TLS) connect timeout of one attempt. */
  readonly connectTimeoutMs: number;
  /** Time for one attempt's answer once connected. */
  readonly requestTimeoutMs: number;
  /** Whole budget of one read, SDK retries included: the caller never waits longer. */
  readonly deadlineMs: number;
}

/**
 * The exchange Lambda's bounds (client secrets, cache key): its token endpoint connect and
 * request timeouts, one attempt's worth of time in all.
 */
export function exchangeSecretBounds(settings: Settings): SecretsManagerReaderOptions {
  const { secretMaxAgeSeconds, connectTimeoutMs, requestTimeoutMs } = settings.exchange;
  return { maxAgeSeconds: secretMaxAgeSeconds, connectTimeoutMs, requestTimeoutMs, deadlineMs: connectTimeoutMs + requestTimeoutMs };
}

/**
 * The authorizer's bounds (introspection credentials): the introspection call's own timeout,
 * so a slow Secrets Manager costs no more than a slow introspection endpoint.
 */
export function introspectionSecretBounds(settings: Settings): SecretsManagerReaderOptions {
  const { timeoutMs } = settings.introspection;
  return { maxAgeSeconds: settings.exchange.secretMaxAgeSeconds, connectTimeoutMs: Math.min(1_000, timeoutMs), requestTimeoutMs: timeoutMs, deadlineMs: timeoutMs };
}

/** Why a secret could not be read. */
export const SecretReadFailure = {
  /** No such secret (or it is scheduled for deletion). */
  NotFound: 'not_found',
  /** IAM or KMS refused the read. */
  AccessDenied: 'access_denied',
  /** The secret holds binary data or an empty string, never the text gatepass needs. */
  NotText: 'not_text',
  /** No answer within a connect, request or overall deadline. */
  Timeout: 'timeout',
  /** Throttling, a service error, a network error or an answer the SDK could not read. */
  Unavailable: 'unavailable',
} as const;
export type SecretReadFailure = (typeof SecretReadFailure)[keyof typeof SecretReadFailure];

/** The deployment's fault: no retry helps until someone fixes the secret or its permissions. */
const PERMANENT: ReadonlySet<SecretReadFailure> = new Set([SecretReadFailure.NotFound, SecretReadFailure.AccessDenied, SecretReadFailure.NotText]);

/**
 * A failed secret read, in the one place where reader failures get a gatepass code:
 * permanent failures are `gateway_misconfigured`, passing ones `exchange_unavailable`.
 * Each caller decides what a failure means for its request (the authorizer refuses the
 * token, the cache steps aside). The message names the secret id and the failure, never
 * the secret's value nor the text of an answer.
 */
export class SecretReadError extends GatepassError {
  readonly failure: SecretReadFailure;
  readonly secretId: string;

  constructor(failure: SecretReadFailure, secretId: string, detail: string, options?: { cause?: unknown }) {
    super(PERMANENT.has(failure) ? ErrorCode.GatewayMisconfigured : ErrorCode.ExchangeUnavailable, `secret ${secretId} could not be read: ${failure} (${detail})`, options);
    this.name = 'SecretReadError';
    this.failure = failure;
    this.secretId = secretId;
  }

  /** True when a later read may succeed (timeouts, throttling, outages). */
  get transient(): boolean {
    return !PERMANENT.has(this.failure);
  }
}
