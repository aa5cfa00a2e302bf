import type { Clock } from '../exchange-clock.js';
import { ExchangeUnavailableError } from './token-endpoint-errors.js';

/**
 * A circuit breaker for one authorization server. `failureThreshold` consecutive failed
 * exchanges open it; while open every call is refused at once with `exchange_unavailable`
 * and a `retryAfterSeconds` of the time left. After `openSeconds` it is half-open: exactly
 * one call goes through as a probe (others are refused, Retry-After 1); the probe's
 * success closes the circuit, its failure opens it again for another `openSeconds`.
 *
 * What counts as a failure is the caller's decision (the token endpoint client counts
 * only unavailability: network errors, timeouts, 429, 5xx, the deadline); any other
 * outcome, an OAuth refusal included, shows the server is answering and counts as success.
 */
export const CircuitState = {
  Closed: 'closed',
  Open: 'open',
  HalfOpen: 'half_open',
} as const;
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

export interface CircuitBreakerOptions {
  readonly name: string;
  readonly failureThreshold: number;
  readonly openSeconds: number;
  readonly clock: Clock;
}

export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #state: CircuitState = CircuitState.Closed;
  #failures = 0;
  #openUntil = 0;
  #probing = false;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** Lets a call through, or throws `ExchangeUnavailableError` while the circuit is open. */
  acquire(): void {
    const now = this.#options.clock.now();
    if (this.#state === CircuitState.Open) {
      if (now < this.#openUntil) {
        throw new ExchangeUnavailableError(`circuit for ${this.#options.name} is open`, (this.#openUntil - now) / 1000);
      }
      this.#state = CircuitState.HalfOpen;
      this.#probing = false;
    }
    if (this.#state === CircuitState.HalfOpen) {
      if (this.#probing) throw new ExchangeUnavailableError(`circuit for ${this.#options.name} is half-open and probing`, 1);
      this.#probing = true;
    }
  }

  success(): void {
    this.#state = CircuitState.Closed;
    this.#failures = 0;
    this.#probing = false;
  }

  /** Ends a call that says nothing about the server (it failed before asking): frees the probe slot. */
  release(): void {
    this.#probing = false;
  }

  /** Records a failure; true when this failure opened the circuit. */
  failure(): boolean {
    this.#failures += 1;
    if (this.#state === CircuitState.HalfOpen || this.#failures >= this.#options.failureThreshold) {
      const wasOpen = this.#state === CircuitState.Open;
      this.#state = CircuitState.Open;
      this.#openUntil = this.#options.clock.now() + this.#options.openSeconds * 1000;
      this.#probing = false;
      return !wasOpen;
    }
    return false;
  }

  /** Seconds until a probe may go through (0 unless open). */
  get secondsUntilProbe(): number {
    if (this.#state !== CircuitState.Open) return 0;
    return Math.max(0, (this.#openUntil - this.#options.clock.now()) / 1000);
  }
}
