import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';
import { narrowingFlowOf, resourceScopeOf, verifyNarrowing } from '../../../../functions/exchange/policy/scope-narrowing.js';

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

describe('verifyNarrowing: flows, identity scopes, resource-prefixed scopes', () => {
  const run = (check: Omit<Parameters<typeof verifyNarrowing>[0], 'issuedToken'> & { issuedToken?: string }) =>
    verifyNarrowing({ issuedToken: 'opaque-token', ...check }, 'token endpoint of entra');
  const codeOf = (thunk: () => unknown) => {
    try {
      thunk();
      return undefined;
    } catch (error) {
      return (error as GatepassError).code;
    }
  };

  it('picks the limit from the flow: same issuer → downscoping, other issuer → federation, an explicit flow wins', () => {
    expect(narrowingFlowOf(undefined, true)).toBe('downscoping');
    expect(narrowingFlowOf(undefined, false)).toBe('federation');
    expect(narrowingFlowOf('delegation', true)).toBe('delegation');
    expect(narrowingFlowOf('downscoping', false)).toBe('downscoping');
  });

  it('never counts the OpenID Connect identity scopes against a limit, and reports them (Keycloak adds profile email)', () => {
    // Keycloak applies the client's default client scopes to every token: https://github.com/keycloak/keycloak/issues/43931
    const result = run({ requested: ['orders:read'], granted: ['orders:read', 'profile', 'email'], issuedToken: jwtWith({ scope: 'orders:read profile email openid' }) });
    expect(result.identityScopes).toEqual(['email', 'openid', 'profile']);
    expect(run({ requested: [], granted: ['openid', 'offline_access'], subjectScopes: ['orders:read'] }).identityScopes).toEqual(['offline_access', 'openid']);
    expect(codeOf(() => run({ requested: ['orders:read'], granted: ['orders:read', 'profile', 'orders:admin'] }))).toBe(ErrorCode.ExchangeNotNarrower);
  });

  it('compares a token short scp with the requested scopes of its resource (Entra On-Behalf-Of)', () => {
    // Entra answers with the prefixed scope and the token carries the short one: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow
    const requested = ['api://orders/Orders.Read'];
    expect(run({ requested, granted: ['api://orders/Orders.Read'], issuedToken: jwtWith({ aud: '6e74172b-be56-4843-9ff4-e66a39bb12e3', scp: 'Orders.Read' }) }).defaultScopeResources).toEqual([]);
    expect(codeOf(() => run({ requested, granted: ['api://orders/Orders.Read'], issuedToken: jwtWith({ scp: 'Orders.Read Orders.Write' }) }))).toBe(ErrorCode.ExchangeNotNarrower);
    expect(codeOf(() => run({ requested, granted: ['api://orders/Orders.Read', 'api://orders/Orders.Write'] }))).toBe(ErrorCode.ExchangeNotNarrower);
    // Another resource's short name does not count for this one.
    const two = ['api://orders/Orders.Read', 'api://billing/Billing.Read'];
    expect(codeOf(() => run({ requested: two, granted: ['api://orders/Orders.Read'], issuedToken: jwtWith({ aud: 'api://orders', scp: 'Billing.Read' }) }))).toBe(ErrorCode.ExchangeNotNarrower);
    expect(codeOf(() => run({ requested: two, granted: ['api://orders/Orders.Read'], issuedToken: jwtWith({ aud: 'api://orders', scp: 'Orders.Read' }) }))).toBeUndefined();
    // A scope without a URI or application id prefix is a plain scope.
    expect(resourceScopeOf('orders/read')).toBeUndefined();
    expect(resourceScopeOf('api://orders/Orders.Read')).toEqual({ resource: 'api://orders', name: 'Orders.Read' });
  });

  it('accepts what <resource>/.default grants by name, but only in a token for that resource or a route audience', () => {
    // The answer to a .default request lists the granted scopes, then .default itself:
    // https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/blob/e4a7a2caff4235dce7a5dca7233bf9071beb40c6/tests/Microsoft.Identity.Test.Common/Core/Mocks/MockHelpers.cs
    const requested = ['api://orders/.default'];
    const granted = ['api://orders/user_impersonation', 'api://orders/.default'];
    const v1Token = jwtWith({ aud: 'api://orders', scp: 'user_impersonation Orders.Read' });
    expect(run({ requested, granted, issuedToken: v1Token }).defaultScopeResources).toEqual(['api://orders']);
    // v2.0 tokens carry the API's client id as aud: accepted only when the route names it.
    const v2Token = jwtWith({ aud: '6e74172b-be56-4843-9ff4-e66a39bb12e3', scp: 'user_impersonation' });
    expect(codeOf(() => run({ requested, granted, issuedToken: v2Token }))).toBe(ErrorCode.ExchangeNotNarrower);
    expect(codeOf(() => run({ requested, granted, issuedToken: v2Token, routeAudiences: ['6e74172b-be56-4843-9ff4-e66a39bb12e3'] }))).toBeUndefined();
    expect(codeOf(() => run({ requested, granted: ['https://graph.microsoft.com/User.Read'], issuedToken: v1Token }))).toBe(ErrorCode.ExchangeNotNarrower);
    expect(codeOf(() => run({ requested, granted, issuedToken: jwtWith({ scp: 'user_impersonation' }) }))).toBe(ErrorCode.ExchangeNotNarrower);
  });

  it('reads the issued token scope in every shape, and prefers the verified claims when given', () => {
    expect(codeOf(() => run({ requested: ['a'], granted: ['a'], issuedToken: jwtWith({ scope: ['a', 'admin'] }) }))).toBe(ErrorCode.ExchangeNotNarrower);
    expect(codeOf(() => run({ requested: ['a'], granted: ['a'], issuedToken: jwtWith({ scope: 'a admin' }), issuedClaims: { scope: ['a'] } }))).toBeUndefined();
  });
});
