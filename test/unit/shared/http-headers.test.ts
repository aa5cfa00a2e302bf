import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventHeaders, eventHeaderValues } from '../../../functions/shared/http-headers.js';

/** The one header rule both functions use (issue #16 point 4): per name, multi-value first, else single. */
describe('event headers', () => {
  it('takes every value of a name from multiValueHeaders, merging keys that differ only in case', () => {
    const headers = eventHeaders({ Accept: 'b' }, { Accept: ['a', 'b'], accept: ['c'] });
    expect(headers.get('accept')).toEqual(['a', 'b', 'c']);
    expect(eventHeaderValues({ Accept: 'b' }, { Accept: ['a', 'b'], accept: ['c'] }, 'accept')).toEqual(['a', 'b', 'c']);
  });

  it('falls back to headers per name, not per event', () => {
    const single = { Authorization: 'Bearer t', Accept: '*/*' };
    const multi = { Accept: ['*/*'] };
    expect(eventHeaders(single, multi).get('authorization')).toEqual(['Bearer t']);
    expect(eventHeaderValues(single, multi, 'authorization')).toEqual(['Bearer t']);
  });

  it('reads HTTP API payload 2.0 headers (no multiValueHeaders) and ignores what is not a string', () => {
    const headers = eventHeaders({ 'X-Tag': 'a,b', Bad: 3, Empty: null }, null);
    expect([...headers]).toEqual([['x-tag', ['a,b']]]);
    expect(eventHeaders(undefined, { A: 'not-a-list', B: [1, 'x'] })).toEqual(new Map([['b', ['x']]]));
  });

  it('treats an empty multi-value list as absent, like a missing key', () => {
    expect(eventHeaders({ Authorization: 'Bearer t' }, { Authorization: [] }).get('authorization')).toEqual(['Bearer t']);
    expect(eventHeaderValues({ Authorization: 'Bearer t' }, { Authorization: [] }, 'authorization')).toEqual(['Bearer t']);
  });

  it('reads one header (the authorizer\'s hot path) exactly as the whole map reads it, for any event', () => {
    // Few names in several cases, so that case variants, repeats and both sources collide often.
    const name = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'Accept', 'x-a');
    const single = fc.option(fc.dictionary(name, fc.oneof(fc.string({ maxLength: 3 }), fc.constant(null), fc.integer())), { nil: undefined });
    const multi = fc.option(fc.dictionary(name, fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }), fc.string())), { nil: null });
    fc.assert(
      fc.property(single, multi, fc.constantFrom('authorization', 'accept', 'x-a'), (s, m, wanted) => {
        expect(eventHeaderValues(s, m, wanted)).toEqual(eventHeaders(s, m).get(wanted) ?? []);
      }),
      { numRuns: 2000 },
    );
  });
});
