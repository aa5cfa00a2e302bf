import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';
import { verifyNarrowing } from '../../../../functions/exchange/policy/scope-narrowing.js';

const jwtWith = (payload: object) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
const check = (requested: string[], granted: string[], extra: { subjectScopes?: string[]; issuedToken?: string } = {}) => () =>
  verifyNarrowing({ requested, granted, issuedToken: extra.issuedToken ?? 'opaque-token', ...(extra.subjectScopes ? { subjectScopes: extra.subjectScopes } : {}) }, 'token endpoint of corp');
const notNarrower = (run: () => void) => {
  expect(run).toThrow(GatepassError);
  try {
    run();
  } catch (error) {
    expect((error as GatepassError).code).toBe(ErrorCode.ExchangeNotNarrower);
  }
};

describe('verifyNarrowing', () => {
  it('accepts a grant within the requested scope, and an empty grant', () => {
    expect(check(['a', 'b'], ['a'])).not.toThrow();
    expect(check(['a', 'b'], [])).not.toThrow();
  });

  it('refuses a grant beyond the requested scope', () => {
    notNarrower(check(['a'], ['a', 'admin']));
  });

  it('for downscoping, also refuses scopes the subject token does not have, requested or not', () => {
    notNarrower(check(['a', 'b'], ['a', 'b'], { subjectScopes: ['a'] }));
    notNarrower(check([], ['b'], { subjectScopes: ['a'] }));
    expect(check([], ['a'], { subjectScopes: ['a', 'b'] })).not.toThrow();
  });

  it('accepts any grant cross-issuer when nothing was requested', () => {
    expect(check([], ['whatever'])).not.toThrow();
  });

  it('checks the scope claim the issued JWT really carries, not only the answer', () => {
    notNarrower(check(['a'], ['a'], { issuedToken: jwtWith({ scope: 'a admin' }) }));
    notNarrower(check(['a'], ['a'], { issuedToken: jwtWith({ scp: ['a', 'admin'] }) }));
    expect(check(['a'], ['a'], { issuedToken: jwtWith({ scope: 'a' }) })).not.toThrow();
    expect(check(['a'], ['a'], { issuedToken: jwtWith({ sub: 'x' }) })).not.toThrow();
  });

  it('accepts exactly the grants that are subsets of the requested scope', () => {
    const scope = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    fc.assert(
      fc.property(fc.uniqueArray(scope, { minLength: 1 }), fc.uniqueArray(scope), (requested, granted) => {
        const subset = granted.every((s) => requested.includes(s));
        let accepted = true;
        try {
          check(requested, granted)();
        } catch {
          accepted = false;
        }
        return accepted === subset;
      }),
    );
  });
});
