import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, fullJitterDelayMs } from '../../../../functions/exchange/token-endpoint/retry-backoff.js';

describe('fullJitterDelayMs', () => {
  it('waits between 0 and min(cap, base * 2^(attempt - 1))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const delay = fullJitterDelayMs(attempt, () => random);
        return delay >= 0 && delay < Math.max(1, Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
      }),
    );
  });

  it('doubles its ceiling per attempt up to the cap', () => {
    const almostOne = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6].map((n) => fullJitterDelayMs(n, almostOne))).toEqual([99, 199, 399, 799, 1599, 1999]);
  });
});
