import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheKeys } from '../../functions/exchange/cache/cache-key.js';
import { fixedCacheKeySource } from '../../functions/exchange/cache/cache-key-source.js';
import { ExchangeCache } from '../../functions/exchange/cache/exchange-cache.js';
import type { CacheKeyTuple, IssuedToken } from '../../functions/exchange/exchange-model.js';
import { actorCacheIdentity } from '../../functions/exchange/exchange-service.js';
import { reportFigures, runsFor } from './support/campaign-report.js';

/**
 * Cache-key properties at campaign scale (issue #7 part 2), beyond the canonical-form proofs
 * of test/unit/exchange/cache/cache-key.test.ts: tuples built the way the exchange handler builds
 * them (actor identities included) never share a pk, and the cache itself never answers one
 * tuple with the token issued for another, whatever the order and repetition of lookups.
 */

const RUNS = { batches: runsFor(300, 12_000), sequences: runsFor(100, 5_000) };
const keys = CacheKeys.fromMaterial('property-test-key-material-'.padEnd(64, 'm'));
const tally = { cases: 0, collisions: 0, wrongAnswers: 0 };

/** Alphabets small enough that near-collisions (shifted boundaries, split items) are frequent. */
const piece = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '#', ',', '.', '\u0000', 'é', '\ud800'), maxLength: 5 });
const list = fc.array(piece, { maxLength: 3 });
const actor = fc.record({ source: fc.constantFrom('none', 'gateway', 'header'), token: piece });

const tupleArb: fc.Arbitrary<CacheKeyTuple> = fc
  .record({ subjectToken: piece, authorizationServer: fc.constantFrom('corp', 'corp2', 'a', 'ab', ''), audience: list, resource: list, scope: list, requestedTokenType: fc.constantFrom('urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:jwt', ''), actor })
  .map(({ actor: a, ...rest }) => ({
    ...rest,
    actor: a.source === 'none' ? '' : actorCacheIdentity(a.source, rest.authorizationServer, { token: a.token, tokenType: 'urn:ietf:params:oauth:token-type:access_token' }),
  }));

/** What the cache is meant to treat as one request: list order does not count. */
const identity = (t: CacheKeyTuple) =>
  JSON.stringify([t.subjectToken, t.authorizationServer, [...t.audience].sort(), [...t.resource].sort(), [...t.scope].sort(), t.requestedTokenType, t.actor]);

describe('cache key properties (issue #7)', () => {
  it('never gives two different requests the same pk, in batches of up to 40', () => {
    fc.assert(
      fc.property(fc.uniqueArray(tupleArb, { selector: identity, minLength: 2, maxLength: 40 }), (batch) => {
        tally.cases += 1;
        const pks = new Set(batch.map((t) => keys.pkOf(t)));
        if (pks.size !== batch.length) tally.collisions += 1;
        expect(pks.size).toBe(batch.length);
      }),
      { numRuns: RUNS.batches },
    );
  });

  it('never answers a lookup with the token issued for another request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(tupleArb, { selector: identity, minLength: 2, maxLength: 8 }), fc.array(fc.nat(), { minLength: 1, maxLength: 25 }), async (pool, order) => {
        tally.cases += 1;
        const cache = new ExchangeCache({ keys: fixedCacheKeySource(keys), memoryMaxEntries: 4, refreshMarginSeconds: 0 });
        const issuedFor = new Map<string, string>();
        await Promise.all(
          order.map(async (n) => {
            const tuple = pool[n % pool.length]!;
            const { token } = await cache.getOrExchange(tuple, undefined, async (): Promise<IssuedToken> => {
              const accessToken = `issued-for-${identity(tuple)}-${issuedFor.size}`;
              issuedFor.set(accessToken, identity(tuple));
              return { accessToken, issuedTokenType: tuple.requestedTokenType, tokenType: 'Bearer', expiresIn: 300, scope: tuple.scope };
            });
            if (issuedFor.get(token.accessToken) !== identity(tuple)) tally.wrongAnswers += 1;
            expect(issuedFor.get(token.accessToken)).toBe(identity(tuple));
          }),
        );
      }),
      { numRuns: RUNS.sequences },
    );
  });

  it('reports its figures', () => {
    reportFigures({ suite: 'properties: cache keys', propertyCases: tally.cases, wrongAllows: tally.collisions + tally.wrongAnswers, unexpected5xx: 0, unlistedEgress: 0, canaryHits: 0, details: { runs: RUNS, collisions: tally.collisions, wrongAnswers: tally.wrongAnswers } });
    expect(tally.cases).toBe(RUNS.batches + RUNS.sequences);
  });
});
