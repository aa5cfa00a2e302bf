import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheKeys, canonicalCacheKeyTuple, memoryKeyOf, PK_PREFIX } from '../../../../functions/exchange/cache/cache-key.js';
import { MIN_CACHE_KEY_MATERIAL_LENGTH } from '../../../../functions/shared/contracts/cache-table.js';
import type { CacheKeyTuple } from '../../../../functions/exchange/exchange-model.js';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';

const material = 'k'.repeat(32) + '-test-material-0123456789abcdef';
const keys = CacheKeys.fromMaterial(material);

const base: CacheKeyTuple = {
  subjectToken: 'subject.token.value',
  authorizationServer: 'corp',
  audience: ['orders-service'],
  resource: ['https://orders.internal.example'],
  scope: ['orders:read'],
  requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  actor: '',
};

/**
 * Small alphabets make near-collisions (shifted boundaries, split or joined list items,
 * separator look-alikes) likely, which is where a naive encoding breaks. The lone surrogate
 * and U+FFFD would collide under a UTF-8 encoding.
 */
const tinyString = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '#', ',', '\u0000', '\u0001', '\ud800', '\ufffd', 'é'), maxLength: 4 });
const tinyList = fc.array(tinyString, { maxLength: 3 });
const tupleArb: fc.Arbitrary<CacheKeyTuple> = fc.record({
  subjectToken: tinyString,
  authorizationServer: tinyString,
  audience: tinyList,
  resource: tinyList,
  scope: tinyList,
  requestedTokenType: tinyString,
  actor: tinyString,
});

/** The tuple as the cache treats it: list order does not count. */
function normalised(tuple: CacheKeyTuple): unknown {
  return { ...tuple, audience: [...tuple.audience].sort(), resource: [...tuple.resource].sort(), scope: [...tuple.scope].sort() };
}

/** Reads a canonical form back: if this always recovers the tuple, the encoding is injective. */
function decodeCanonical(bytes: Buffer): unknown {
  let offset = 0;
  const readString = (): string => {
    const length = bytes.readUInt32BE(offset);
    offset += 4;
    const value = bytes.subarray(offset, offset + length).toString('utf16le');
    offset += length;
    return value;
  };
  const readList = (): string[] => {
    const count = bytes.readUInt32BE(offset);
    offset += 4;
    return Array.from({ length: count }, readString);
  };
  const label = readString();
  const decoded = {
    subjectToken: readString(),
    authorizationServer: readString(),
    audience: readList(),
    resource: readList(),
    scope: readList(),
    requestedTokenType: readString(),
    actor: readString(),
  };
  if (offset !== bytes.byteLength) throw new Error('trailing bytes');
  return { label, decoded };
}

describe('cache key canonical form', () => {
  it('decodes back to the tuple it encodes, so no two different tuples share a canonical form', () => {
    fc.assert(
      fc.property(tupleArb, (tuple) => {
        const { label, decoded } = decodeCanonical(canonicalCacheKeyTuple(tuple)) as { label: string; decoded: unknown };
        expect(label).toBe('gatepass cache tuple v1');
        expect(decoded).toEqual(normalised(tuple));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives different tuples different canonical forms and different pks', () => {
    fc.assert(
      fc.property(tupleArb, tupleArb, (a, b) => {
        fc.pre(JSON.stringify(normalised(a)) !== JSON.stringify(normalised(b)));
        expect(canonicalCacheKeyTuple(a).equals(canonicalCacheKeyTuple(b))).toBe(false);
        expect(keys.pkOf(a)).not.toBe(keys.pkOf(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives a tuple changed in one field a different pk', () => {
    const fields = ['subjectToken', 'authorizationServer', 'audience', 'resource', 'scope', 'requestedTokenType', 'actor'] as const;
    fc.assert(
      fc.property(tupleArb, fc.constantFrom(...fields), tinyString, tinyList, (tuple, field, text, list) => {
        const changed = { ...tuple, [field]: Array.isArray(tuple[field]) ? list : text } as CacheKeyTuple;
        fc.pre(JSON.stringify(normalised(changed)) !== JSON.stringify(normalised(tuple)));
        expect(keys.pkOf(changed)).not.toBe(keys.pkOf(tuple));
      }),
      { numRuns: 2000 },
    );
  });

  it("separates routes that check more (a flow, forbiddenClaims) and keeps the keys of routes that do not", () => {
    const checked: CacheKeyTuple = { ...base, policy: ['forbidden:email'] };
    expect(keys.pkOf(checked)).not.toBe(keys.pkOf(base));
    expect(memoryKeyOf(checked)).not.toBe(memoryKeyOf(base));
    expect(keys.pkOf({ ...base, policy: [] })).toBe(keys.pkOf(base));
    expect(keys.pkOf({ ...base, policy: ['flow:delegation'] })).not.toBe(keys.pkOf(checked));
    expect(keys.pkOf({ ...base, policy: ['forbidden:email', 'flow:delegation'] })).toBe(keys.pkOf({ ...base, policy: ['flow:delegation', 'forbidden:email'] }));
  });

  it('gives the same tuple the same pk, whatever the order of its audience, resource and scope lists', () => {
    fc.assert(
      fc.property(tupleArb, fc.infiniteStream(fc.nat()), (tuple, seeds) => {
        const shuffle = (list: readonly string[]) => {
          const copy = [...list];
          for (let i = copy.length - 1; i > 0; i -= 1) {
            const j = seeds.next().value % (i + 1);
            [copy[i], copy[j]] = [copy[j]!, copy[i]!];
          }
          return copy;
        };
        const reordered = { ...tuple, audience: shuffle(tuple.audience), resource: shuffle(tuple.resource), scope: shuffle(tuple.scope) };
        expect(keys.pkOf(reordered)).toBe(keys.pkOf(tuple));
        expect(CacheKeys.fromMaterial(material).pkOf(tuple)).toBe(keys.pkOf(tuple));
      }),
      { numRuns: 500 },
    );
  });

  it('separates the classic collision pairs: split list items, shifted field boundaries, moved list items', () => {
    const pairs: [Partial<CacheKeyTuple>, Partial<CacheKeyTuple>][] = [
      [{ scope: ['a b'] }, { scope: ['a', 'b'] }],
      [{ audience: ['a,b'] }, { audience: ['a', 'b'] }],
      [{ subjectToken: 'ab', authorizationServer: 'c' }, { subjectToken: 'a', authorizationServer: 'bc' }],
      [{ audience: ['x'], resource: [] }, { audience: [], resource: ['x'] }],
      [{ scope: [''] }, { scope: [] }],
      [{ scope: ['a'] }, { scope: ['a', 'a'] }],
      [{ actor: '' }, { actor: 'actor.token' }],
      [{ requestedTokenType: 'x', actor: '' }, { requestedTokenType: '', actor: 'x' }],
      [{ subjectToken: '\ud800' }, { subjectToken: '\ufffd' }],
    ];
    for (const [left, right] of pairs) {
      expect(keys.pkOf({ ...base, ...left })).not.toBe(keys.pkOf({ ...base, ...right }));
    }
  });
});

describe('cache keys', () => {
  it('writes pk as v1# and an unpadded base64url SHA-256 HMAC', () => {
    expect(keys.pkOf(base)).toMatch(/^v1#[A-Za-z0-9_-]{43}$/);
    expect(PK_PREFIX).toBe('v1#');
  });

  it('never uses the raw key material as the HMAC key', () => {
    const raw = PK_PREFIX + createHmac('sha256', material).update(canonicalCacheKeyTuple(base)).digest('base64url');
    expect(keys.pkOf(base)).not.toBe(raw);
  });

  it('derives different pks from different key material', () => {
    const other = CacheKeys.fromMaterial(material.replace('k', 'K'));
    expect(other.pkOf(base)).not.toBe(keys.pkOf(base));
    expect(CacheKeys.random().pkOf(base)).not.toBe(CacheKeys.random().pkOf(base));
  });

  it('refuses key material shorter than 32 characters as a gateway misconfiguration', () => {
    expect(MIN_CACHE_KEY_MATERIAL_LENGTH).toBe(32);
    expect(() => CacheKeys.fromMaterial('x'.repeat(31))).toThrow(GatepassError);
    expect(() => CacheKeys.fromMaterial('short')).toThrow(
      expect.objectContaining({ code: ErrorCode.GatewayMisconfigured, message: expect.not.stringContaining('short') }),
    );
    expect(() => CacheKeys.fromMaterial('x'.repeat(32))).not.toThrow();
  });

  it('keeps the encryption key apart from the HMAC key: a token sealed for one pk opens only there', () => {
    const pk = keys.pkOf(base);
    const sealed = keys.cipher.seal('issued-token', pk, Buffer.from('data'));
    expect(keys.cipher.open(sealed, pk, Buffer.from('data'))).toBe('issued-token');
    expect(() => CacheKeys.fromMaterial(material.replace('k', 'K')).cipher.open(sealed, pk, Buffer.from('data'))).toThrow();
  });
});

describe('cache memory key', () => {
  it('gives different tuples different memory keys, lone surrogates and look-alike separators included', () => {
    fc.assert(
      fc.property(tupleArb, tupleArb, (a, b) => {
        fc.pre(JSON.stringify(normalised(a)) !== JSON.stringify(normalised(b)));
        expect(memoryKeyOf(a)).not.toBe(memoryKeyOf(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same tuple the same memory key, whatever the order of its lists', () => {
    fc.assert(
      fc.property(tupleArb, (tuple) => {
        const reversed = { ...tuple, audience: [...tuple.audience].reverse(), resource: [...tuple.resource].reverse(), scope: [...tuple.scope].reverse() };
        expect(memoryKeyOf(reversed)).toBe(memoryKeyOf(tuple));
      }),
      { numRuns: 500 },
    );
  });

  it('separates the classic collision pairs the pk separates', () => {
    const pairs: [Partial<CacheKeyTuple>, Partial<CacheKeyTuple>][] = [
      [{ scope: ['a b'] }, { scope: ['a', 'b'] }],
      [{ audience: ['a","b'] }, { audience: ['a', 'b'] }],
      [{ subjectToken: 'ab', authorizationServer: 'c' }, { subjectToken: 'a', authorizationServer: 'bc' }],
      [{ audience: ['x'], resource: [] }, { audience: [], resource: ['x'] }],
      [{ actor: '' }, { actor: 'gateway:corp' }],
    ];
    for (const [a, b] of pairs) expect(memoryKeyOf({ ...base, ...a })).not.toBe(memoryKeyOf({ ...base, ...b }));
  });

  it('is a digest that holds neither the subject token nor the actor token, and differs from the pk', () => {
    const tuple = { ...base, subjectToken: 'subject-canary-0123456789', actor: 'token:actor-canary-0123456789' };
    const key = memoryKeyOf(tuple);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('canary');
    expect(keys.pkOf(tuple)).not.toContain(key);
  });
});
