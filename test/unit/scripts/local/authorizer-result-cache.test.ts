import { describe, expect, it } from 'vitest';
import { AuthorizerResultCache } from '../../../../scripts/local/authorizer-result-cache.js';

describe('authorizer result cache', () => {
  it('answers the same identity within the TTL and forgets it after', () => {
    let now = 1_000_000;
    const cache = new AuthorizerResultCache<string>(60, () => now);
    cache.set(['Bearer a', 'GET /orders/{id}'], 'allow');
    now += 59_999;
    expect(cache.get(['Bearer a', 'GET /orders/{id}'])).toBe('allow');
    now += 1;
    expect(cache.get(['Bearer a', 'GET /orders/{id}'])).toBeUndefined();
    expect(cache.hits).toBe(1);
  });

  it('keeps identities apart when any source differs', () => {
    const cache = new AuthorizerResultCache<string>(60);
    cache.set(['Bearer a', 'GET /orders/{id}'], 'allow');
    expect(cache.get(['Bearer a', 'POST /orders'])).toBeUndefined();
    expect(cache.get(['Bearer b', 'GET /orders/{id}'])).toBeUndefined();
    // the key is not a plain concatenation
    cache.set(['a b', 'c'], 'x');
    expect(cache.get(['a', 'b c'])).toBeUndefined();
  });

  it('is off with a TTL of 0', () => {
    const cache = new AuthorizerResultCache<string>(0);
    cache.set(['Bearer a'], 'allow');
    expect(cache.get(['Bearer a'])).toBeUndefined();
  });

  it('drops its oldest entries beyond its bound', () => {
    const cache = new AuthorizerResultCache<number>(60, Date.now, 2);
    cache.set(['1'], 1);
    cache.set(['2'], 2);
    cache.set(['3'], 3);
    expect(cache.get(['1'])).toBeUndefined();
    expect(cache.get(['3'])).toBe(3);
  });

  it('refuses a TTL API Gateway would refuse', () => {
    expect(() => new AuthorizerResultCache(3601)).toThrow(RangeError);
    expect(() => new AuthorizerResultCache(-1)).toThrow(RangeError);
  });
});
