import { describe, expect, it } from 'vitest';
import { billedMs, LAMBDA_ARM_PRICE, usdPerMillionInvocations } from '../../bench/bench-cost.js';

// The published cost table (docs/performance.md) rests on these two formulas.
describe('bench cost per million requests', () => {
  it('bills at least 1 ms, rounds up, and scales CPU time by the share of a vCPU the memory size buys', () => {
    expect(billedMs({ wallUs: 500, cpuUs: 100 }, 128)).toBe(2); // 100 µs × 1769/128 ≈ 1.38 ms → 2
    expect(billedMs({ wallUs: 200, cpuUs: 50 }, 1769)).toBe(1);
    expect(billedMs({ wallUs: 4_100, cpuUs: 100 }, 1769)).toBe(5); // wall time dominates
  });

  it('adds the request charge to the billed GB-seconds', () => {
    const gbSeconds = (2 / 1000) * (128 / 1024);
    expect(usdPerMillionInvocations({ wallUs: 500, cpuUs: 100 }, 128)).toBeCloseTo(
      LAMBDA_ARM_PRICE.usdPerMillionRequests + gbSeconds * LAMBDA_ARM_PRICE.usdPerGbSecond * 1_000_000,
      10,
    );
  });
});
