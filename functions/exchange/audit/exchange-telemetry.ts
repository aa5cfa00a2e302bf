/**
 * The logger and metrics sinks the token endpoint client writes to. Shaped so that a
 * Powertools `Logger` and `Metrics` fit as they are; the defaults drop everything.
 * Nothing written here ever carries a token or a secret.
 */

export interface ExchangeLogger {
  error(message: string, attributes: Readonly<Record<string, unknown>>): void;
  warn(message: string, attributes: Readonly<Record<string, unknown>>): void;
  debug(message: string, attributes: Readonly<Record<string, unknown>>): void;
}

export interface ExchangeMetrics {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): void;
}

/** Metrics the client emits (besides `TokenEndpointLatency` from metric-names.ts). */
export const TokenClientMetric = {
  /** The gateway's own client credentials were refused, also after a secret refresh. */
  ClientCredentialsRejected: 'ClientCredentialsRejected',
  /** A token endpoint attempt that is retried (network error, 429, 5xx). */
  TokenEndpointRetry: 'TokenEndpointRetry',
  /** A circuit breaker opened for an authorization server. */
  TokenEndpointCircuitOpened: 'TokenEndpointCircuitOpened',
} as const;

export const silentLogger: ExchangeLogger = {
  error: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
};

export const silentMetrics: ExchangeMetrics = {
  addMetric: () => undefined,
};
