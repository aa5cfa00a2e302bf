import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitState } from '../../../../functions/exchange/token-endpoint/circuit-breaker.js';
import { ExchangeUnavailableError } from '../../../../functions/exchange/token-endpoint/token-endpoint-errors.js';

function breaker(failureThreshold = 3, openSeconds = 10) {
  const clock = { t: 1_000_000, now() { return this.t; }, sleep: async () => undefined };
  return { clock, breaker: new CircuitBreaker({ name: 'corp', failureThreshold, openSeconds, clock }) };
}

const refusal = (run: () => void): ExchangeUnavailableError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    return error as ExchangeUnavailableError;
  }
  throw new Error('expected the circuit to refuse');
};

describe('CircuitBreaker', () => {
  it('opens only after failureThreshold consecutive failures', () => {
    const { breaker: b } = breaker(3);
    b.acquire();
    expect(b.failure()).toBe(false);
    b.acquire();
    expect(b.failure()).toBe(false);
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe(CircuitState.Closed);
    expect(b.failure()).toBe(true);
    expect(b.state).toBe(CircuitState.Open);
  });

  it('refuses while open with the seconds left as Retry-After, rounded up', () => {
    const { breaker: b, clock } = breaker(1, 10);
    b.failure();
    expect(refusal(() => b.acquire()).retryAfterSeconds).toBe(10);
    clock.t += 7_500;
    expect(refusal(() => b.acquire()).retryAfterSeconds).toBe(3);
  });

  it('lets exactly one probe through when half-open', () => {
    const { breaker: b, clock } = breaker(1, 10);
    b.failure();
    clock.t += 10_000;
    b.acquire();
    expect(b.state).toBe(CircuitState.HalfOpen);
    expect(refusal(() => b.acquire()).retryAfterSeconds).toBe(1);
    b.success();
    expect(b.state).toBe(CircuitState.Closed);
    b.acquire();
  });

  it('opens again for a full period when the probe fails', () => {
    const { breaker: b, clock } = breaker(5, 10);
    for (let i = 0; i < 5; i += 1) b.failure();
    clock.t += 10_000;
    b.acquire();
    expect(b.failure()).toBe(true);
    expect(refusal(() => b.acquire()).retryAfterSeconds).toBe(10);
  });

  it('frees the probe slot when the probe ends without asking the server', () => {
    const { breaker: b, clock } = breaker(1, 10);
    b.failure();
    clock.t += 10_000;
    b.acquire();
    b.release();
    b.acquire();
    expect(b.state).toBe(CircuitState.HalfOpen);
  });
});
