/**
 * CloudWatch EMF metric names and dimensions the functions emit and the CDK alarms and
 * dashboard read. One list, so the two never drift.
 *
 * Every metric carries the `service` dimension (the function's service name below);
 * metrics "by code", "by layer" or "by action" carry one more dimension, in an EMF
 * directive of their own, so their dimension set is exactly { service, <that dimension> }
 * (functions/shared/telemetry/decision-line.ts).
 */
export const METRICS_NAMESPACE = 'gatepass';

export const ServiceName = {
  Authorizer: 'gatepass-authorizer',
  Exchange: 'gatepass-exchange',
} as const;

export const MetricDimension = {
  Service: 'service',
  Code: 'code',
  Layer: 'layer',
  Action: 'action',
} as const;

/** Values of the `layer` dimension: where the exchange cache found the token (`miss`: exchanged). */
export const CacheLayer = {
  Memory: 'memory',
  Table: 'table',
  Miss: 'miss',
} as const;
export type CacheLayer = (typeof CacheLayer)[keyof typeof CacheLayer];

export const MetricName = {
  // authorizer
  /** Allowed requests; dimension `action` (exchange | passthrough). */
  Allowed: 'Allowed',
  /** Denied requests; dimension `code` (token_expired, insufficient_scope, ...). */
  Denied: 'Denied',
  /** Unexpected failures inside the authorizer (a bug or an outage, never a client mistake). */
  AuthorizerInternalError: 'AuthorizerInternalError',
  /** JWKS fetches that failed (timeout, too large, bad JSON, HTTP error). */
  JwksFetchFailed: 'JwksFetchFailed',
  /** Introspection calls that failed (not the same as an inactive token). */
  IntrospectionFailed: 'IntrospectionFailed',

  // exchange
  /** Requests handled by the exchange Lambda, whatever the outcome. */
  Exchanges: 'Exchanges',
  /** Cache lookups by `layer` (memory | table | miss). */
  CacheHit: 'CacheHit',
  /** Refusals and failures by `code` (exchange_unavailable, gateway_misconfigured, ...). */
  ExchangeError: 'ExchangeError',
  /** Token endpoint round trip, milliseconds. */
  TokenEndpointLatency: 'TokenEndpointLatency',
  /** Upstream round trip, milliseconds. */
  UpstreamLatency: 'UpstreamLatency',
  /** DynamoDB cache failures that degraded to a direct exchange. */
  CacheTableError: 'CacheTableError',
  /** Calls that waited for another call's in-flight lookup (single flight). */
  CacheSharedFlight: 'CacheSharedFlight',
  /** Table items that failed to decrypt or authenticate (tampered, moved, foreign key). */
  CacheDecryptFailure: 'CacheDecryptFailure',
  /** Table items with missing or mistyped attributes. */
  CacheItemMalformed: 'CacheItemMalformed',
  /** A conditional put found a live entry another container wrote meanwhile; it was kept. */
  CacheWriteConflict: 'CacheWriteConflict',
  /** Fresh tokens that expire within the refresh margin: used once, not cached. */
  CacheNotCached: 'CacheNotCached',
  /** Table calls skipped because the table failed moments ago. */
  CacheTableSkipped: 'CacheTableSkipped',
  /** Requests that bypassed the cache because its key secret could not be read. */
  CacheKeyUnavailable: 'CacheKeyUnavailable',
  /** Entries dropped because the upstream refused the cached token. */
  CacheEvicted: 'CacheEvicted',
  /** The gateway's own client credentials were refused, also after a secret refresh. */
  ClientCredentialsRejected: 'ClientCredentialsRejected',
  /** Token endpoint attempts that are retried (network error, 429, 5xx). */
  TokenEndpointRetry: 'TokenEndpointRetry',
  /** A circuit breaker opened for an authorization server. */
  TokenEndpointCircuitOpened: 'TokenEndpointCircuitOpened',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];
