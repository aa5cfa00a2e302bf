import { describe, expect, it } from 'vitest';
import { CacheKeys } from '../../../../functions/exchange/cache/cache-key.js';
import { CacheKeyUnavailableError, fixedCacheKeySource } from '../../../../functions/exchange/cache/cache-key-source.js';
import { cacheExpiresAt, ExchangeCache, type ExchangeCacheOptions } from '../../../../functions/exchange/cache/exchange-cache.js';
import type { CacheKeyTuple, IssuedToken } from '../../../../functions/exchange/exchange-model.js';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';
import { MetricName } from '../../../../functions/shared/contracts/metric-names.js';
import { RecordingSinks } from '../../../support/recording-sinks.js';

const START = Date.UTC(2030, 0, 1) / 1000;

function tupleFor(subjectToken: string): CacheKeyTuple {
  return {
    subjectToken,
    authorizationServer: 'corp',
    audience: ['orders-service'],
    resource: [],
    scope: ['orders:read'],
    requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    actor: '',
  };
}

/** A token endpoint stand-in that counts its calls and issues numbered tokens. */
function tokenEndpoint(expiresIn = 300) {
  const endpoint = {
    calls: 0,
    exchange: async (): Promise<IssuedToken> => {
      endpoint.calls += 1;
      const n = endpoint.calls;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return {
        accessToken: `issued-${n}`,
        issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
        tokenType: 'Bearer',
        expiresIn,
        scope: ['orders:read'],
      };
    },
  };
  return endpoint;
}

function memoryCache(overrides: Partial<ExchangeCacheOptions> = {}) {
  const clock = { seconds: START };
  const telemetry = new RecordingSinks();
  const cache = new ExchangeCache({
    keys: fixedCacheKeySource(CacheKeys.random()),
    memoryMaxEntries: 100,
    refreshMarginSeconds: 30,
    clock: () => clock.seconds * 1000,
    log: telemetry.log,
    metrics: telemetry.metrics,
    ...overrides,
  });
  return { cache, clock, telemetry };
}

describe('cache lifetime', () => {
  it('ends at the issued token expiry minus the refresh margin', () => {
    expect(cacheExpiresAt(1000, 300, undefined, 30)).toBe(1270);
  });

  it('ends at the subject token expiry minus the margin when the subject token expires first', () => {
    expect(cacheExpiresAt(1000, 300, 1100, 30)).toBe(1070);
    expect(cacheExpiresAt(1000, 300, 5000, 30)).toBe(1270);
  });

  it("ends at the issued token's own exp minus the margin when that comes before expires_in", () => {
    expect(cacheExpiresAt(1000, 3600, undefined, 30, 1120)).toBe(1090);
    expect(cacheExpiresAt(1000, 300, 5000, 30, 9000)).toBe(1270);
    expect(cacheExpiresAt(1000, 300, 1100, 30, 1200)).toBe(1070);
    // An own exp inside the margin: served for this request, never cached.
    expect(cacheExpiresAt(1000, 3600, undefined, 30, 1010)).toBeLessThanOrEqual(1000);
  });

  it('rounds fractional seconds down, never extending an entry', () => {
    expect(cacheExpiresAt(1000, 300.9, 1200.5, 0)).toBe(1200);
    expect(cacheExpiresAt(1000, 10.9, undefined, 0)).toBe(1010);
  });
});

describe('exchange cache in memory', () => {
  it('answers a repeated lookup from memory without exchanging again', async () => {
    const { cache } = memoryCache();
    const endpoint = tokenEndpoint();
    const first = await cache.getOrExchange(tupleFor('alice'), START + 3600, endpoint.exchange);
    const second = await cache.getOrExchange(tupleFor('alice'), START + 3600, endpoint.exchange);
    expect(first.layer).toBe('miss');
    expect(second.layer).toBe('memory');
    expect(second.token).toEqual(first.token);
    expect(first.token).toMatchObject({ accessToken: 'issued-1', tokenType: 'Bearer', scope: ['orders:read'], expiresAt: START + 270 });
    expect(endpoint.calls).toBe(1);
  });

  it('keeps different subject tokens apart', async () => {
    const { cache } = memoryCache();
    const endpoint = tokenEndpoint();
    const alice = await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    const bob = await cache.getOrExchange(tupleFor('bob'), undefined, endpoint.exchange);
    expect(alice.token.accessToken).not.toBe(bob.token.accessToken);
    expect(endpoint.calls).toBe(2);
  });

  it('stops serving an entry at its expiry, checked on every read', async () => {
    const { cache, clock } = memoryCache();
    const endpoint = tokenEndpoint(300);
    await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    clock.seconds = START + 269;
    expect((await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange)).layer).toBe('memory');
    clock.seconds = START + 270;
    const later = await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect(later.layer).toBe('miss');
    expect(later.token.accessToken).toBe('issued-2');
  });

  it('caps the entry at the subject token expiry minus the refresh margin', async () => {
    const { cache, clock } = memoryCache();
    const endpoint = tokenEndpoint(3600);
    const first = await cache.getOrExchange(tupleFor('alice'), START + 100, endpoint.exchange);
    expect(first.token.expiresAt).toBe(START + 70);
    clock.seconds = START + 70;
    expect((await cache.getOrExchange(tupleFor('alice'), START + 100, endpoint.exchange)).layer).toBe('miss');
  });

  it('uses a token that expires within the refresh margin for this request only', async () => {
    const { cache, telemetry } = memoryCache();
    const endpoint = tokenEndpoint(20);
    const first = await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    const second = await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect(first.token.accessToken).toBe('issued-1');
    expect(second.token.accessToken).toBe('issued-2');
    expect(second.layer).toBe('miss');
    expect(telemetry.count(MetricName.CacheNotCached)).toBe(2);
  });

  it('does not cache a token whose subject token is already inside the margin', async () => {
    const { cache } = memoryCache();
    const endpoint = tokenEndpoint(3600);
    await cache.getOrExchange(tupleFor('alice'), START + 30, endpoint.exchange);
    expect((await cache.getOrExchange(tupleFor('alice'), START + 30, endpoint.exchange)).layer).toBe('miss');
  });

  it('stays within memoryMaxEntries, dropping the least recently used entry', async () => {
    const { cache } = memoryCache({ memoryMaxEntries: 3 });
    const endpoint = tokenEndpoint();
    for (const name of ['a', 'b', 'c']) await cache.getOrExchange(tupleFor(name), undefined, endpoint.exchange);
    await cache.getOrExchange(tupleFor('a'), undefined, endpoint.exchange); // a is now the most recent
    for (let i = 0; i < 50; i += 1) await cache.getOrExchange(tupleFor(`user-${i}`), undefined, endpoint.exchange);
    for (const name of ['user-47', 'user-48', 'user-49']) expect((await cache.getOrExchange(tupleFor(name), undefined, endpoint.exchange)).layer).toBe('memory');
    const callsBefore = endpoint.calls;
    expect((await cache.getOrExchange(tupleFor('a'), undefined, endpoint.exchange)).layer).toBe('miss');
    expect(endpoint.calls).toBe(callsBefore + 1);
  });

  it('keeps nothing in memory when memoryMaxEntries is 0', async () => {
    const { cache } = memoryCache({ memoryMaxEntries: 0 });
    const endpoint = tokenEndpoint();
    await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect((await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange)).layer).toBe('miss');
    expect(endpoint.calls).toBe(2);
  });

  it('keeps no subject token anywhere in the cache', async () => {
    const { cache, telemetry } = memoryCache();
    const canary = 'subject-canary-token-value';
    await cache.getOrExchange(tupleFor(canary), undefined, tokenEndpoint().exchange);
    await cache.evict(tupleFor(canary));
    const seen = new WeakSet<object>();
    const reachable = JSON.stringify(cache, (_key, value: unknown) => {
      if (value instanceof Map) return [...value.entries()];
      if (value instanceof Set) return [...value.values()];
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return undefined;
        seen.add(value);
      }
      return value;
    });
    expect(reachable).not.toContain(canary);
    expect(telemetry.dump()).not.toContain(canary);
  });

  it('evicts an entry so the next lookup exchanges again', async () => {
    const { cache, telemetry } = memoryCache();
    const endpoint = tokenEndpoint();
    await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    await cache.evict(tupleFor('alice'));
    const next = await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect(next.layer).toBe('miss');
    expect(next.token.accessToken).toBe('issued-2');
    expect(telemetry.count(MetricName.CacheEvicted)).toBe(1);
  });
});

describe('exchange cache memory layer keys', () => {
  it('answers a memory hit without asking the key source again', async () => {
    let loads = 0;
    const keys = CacheKeys.random();
    const { cache } = memoryCache({
      keys: () => {
        loads += 1;
        return Promise.resolve(keys);
      },
    });
    const endpoint = tokenEndpoint();
    await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    const before = loads;
    for (let i = 0; i < 5; i += 1) expect((await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange)).layer).toBe('memory');
    expect(loads).toBe(before);
    expect(endpoint.calls).toBe(1);
  });

  it('does not exchange again for a lookup whose key material arrived after the first flight settled', async () => {
    const keys = CacheKeys.random();
    let calls = 0;
    const { cache } = memoryCache({
      // The second lookup's keys arrive late, after the first flight has settled.
      keys: () => {
        calls += 1;
        return calls === 1 ? Promise.resolve(keys) : new Promise((resolve) => setTimeout(() => resolve(keys), 30));
      },
    });
    const endpoint = tokenEndpoint();
    const first = cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    const second = cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect((await first).layer).toBe('miss');
    expect((await second).layer).toBe('memory');
    expect(endpoint.calls).toBe(1);
  });

  it('keeps tuples that differ only in their actor apart', async () => {
    const { cache } = memoryCache();
    const endpoint = tokenEndpoint();
    await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    const withActor = await cache.getOrExchange({ ...tupleFor('alice'), actor: 'gateway:corp' }, undefined, endpoint.exchange);
    expect(withActor.layer).toBe('miss');
    expect(endpoint.calls).toBe(2);
  });
});

describe('exchange cache single flight', () => {
  it('makes 100 concurrent identical misses share exactly one exchange', async () => {
    const { cache, telemetry } = memoryCache();
    const endpoint = tokenEndpoint();
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange)));
    expect(endpoint.calls).toBe(1);
    expect(new Set(results.map((r) => r.token.accessToken))).toEqual(new Set(['issued-1']));
    expect(results.filter((r) => !r.shared)).toHaveLength(1);
    expect(results.filter((r) => r.shared)).toHaveLength(99);
    expect(telemetry.count(MetricName.CacheHit)).toBe(100);
  });

  it('runs concurrent misses for different keys separately', async () => {
    const { cache } = memoryCache();
    const endpoint = tokenEndpoint();
    await Promise.all(['a', 'b', 'c'].map((name) => cache.getOrExchange(tupleFor(name), undefined, endpoint.exchange)));
    expect(endpoint.calls).toBe(3);
  });

  it('fails every follower of a failing leader with the same error, caches nothing, and retries afresh', async () => {
    const { cache } = memoryCache();
    let calls = 0;
    const refusal = new GatepassError(ErrorCode.ExchangeUnavailable, 'token endpoint down');
    const failing = async (): Promise<IssuedToken> => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw refusal;
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => cache.getOrExchange(tupleFor('alice'), undefined, failing)));
    expect(calls).toBe(1);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason === refusal)).toBe(true);

    const endpoint = tokenEndpoint();
    const retry = await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect(retry.layer).toBe('miss');
    expect(retry.token.accessToken).toBe('issued-1');
    expect(endpoint.calls).toBe(1);
  });

  it('starts a new flight for a call that arrives right after a failed one settled', async () => {
    const { cache } = memoryCache();
    const endpoint = tokenEndpoint();
    const failed = cache.getOrExchange(tupleFor('alice'), undefined, () => Promise.reject(new Error('boom')));
    const afterwards = failed.catch(() => cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange));
    await expect(failed).rejects.toThrow('boom');
    await expect(afterwards).resolves.toMatchObject({ layer: 'miss', shared: false });
  });
});

describe('exchange cache keys', () => {
  it('exchanges directly, with a warning event, while the key secret cannot be read', async () => {
    const { cache, telemetry } = memoryCache({ keys: () => Promise.reject(new CacheKeyUnavailableError('secrets manager down')) });
    const endpoint = tokenEndpoint();
    const lookup = await cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'issued-1' } });
    expect(telemetry.fieldsOf('cache.key_unavailable')).toContainEqual({ type: 'key_unavailable', error: 'CacheKeyUnavailableError' });
    await expect(cache.evict(tupleFor('alice'))).resolves.toBeUndefined();
  });

  it('refuses with gateway_misconfigured when the key secret is unusable', async () => {
    const misconfigured = new GatepassError(ErrorCode.GatewayMisconfigured, 'cache key secret too short');
    const { cache } = memoryCache({ keys: () => Promise.reject(misconfigured) });
    const endpoint = tokenEndpoint();
    await expect(cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange)).rejects.toBe(misconfigured);
    expect(endpoint.calls).toBe(0);
  });

  it('loads its keys ahead of the first lookup when prepared, and never throws from prepare', async () => {
    let loads = 0;
    const keys = CacheKeys.random();
    const { cache } = memoryCache({
      keys: () => {
        loads += 1;
        return Promise.resolve(keys);
      },
    });
    await cache.prepare();
    expect(loads).toBe(1);
    const failing = memoryCache({ keys: () => Promise.reject(new GatepassError(ErrorCode.GatewayMisconfigured)) });
    await expect(failing.cache.prepare()).resolves.toBeUndefined();
  });

  it('goes on when its sinks throw', async () => {
    const broken = () => {
      throw new Error('sink broken');
    };
    const { cache } = memoryCache({ log: { debug: broken, info: broken, warn: broken, error: broken, decision: broken }, metrics: { count: broken, timing: broken, flush: broken } });
    await expect(cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint().exchange)).resolves.toMatchObject({ layer: 'miss' });
  });
});
