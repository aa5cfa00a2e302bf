import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AuthorizerAction,
  encodeAuthorizerContext,
  parseAuthorizerContext,
  type AuthorizerContext,
} from '../../../../functions/shared/contracts/authorizer-context.js';
import { GatepassError } from '../../../../functions/shared/errors.js';

const decided: AuthorizerContext = {
  route: 'orders-read',
  action: AuthorizerAction.Exchange,
  issuer: 'partner',
  subject: 'alice',
  clientId: 'partner-app',
  scope: ['orders:read', 'profile'],
  expiresAt: 1_900_000_000,
  tokenId: '0123456789abcdef0123456789abcdef',
};

/** API Gateway REST APIs turn every context value into a string; HTTP APIs keep the types. */
const asRestCarriesIt = (context: Record<string, unknown>) => Object.fromEntries(Object.entries(context).map(([key, value]) => [key, String(value)]));

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof GatepassError ? error.code : `not a GatepassError: ${String(error)}`;
  }
};

describe('authorizer context: encode → parse', () => {
  it('carries exactly the contract keys with primitive values, scope space separated', () => {
    expect(encodeAuthorizerContext(decided)).toEqual({
      route: 'orders-read',
      action: 'exchange',
      issuer: 'partner',
      subject: 'alice',
      clientId: 'partner-app',
      scope: 'orders:read profile',
      expiresAt: 1_900_000_000,
      tokenId: '0123456789abcdef0123456789abcdef',
    });
  });

  it('reads back what it encoded, as an HTTP API carries it and as a REST API stringifies it', () => {
    const encoded = encodeAuthorizerContext(decided);
    expect(parseAuthorizerContext(encoded)).toEqual(decided);
    expect(parseAuthorizerContext(asRestCarriesIt(encoded))).toEqual(decided);
  });

  it('reads back every context it agrees to encode (property)', () => {
    const scopeToken = fc.stringMatching(/^[!#-[\]-~]{1,40}$/);
    const context = fc.record({
      route: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
      action: fc.constantFrom(AuthorizerAction.Exchange, AuthorizerAction.Passthrough),
      issuer: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/),
      subject: fc.string({ maxLength: 2048 }),
      clientId: fc.string({ maxLength: 2048 }),
      scope: fc.array(scopeToken, { maxLength: 30 }),
      expiresAt: fc.integer({ min: 1, max: 999_999_999_999 }),
      tokenId: fc.stringMatching(/^[0-9a-f]{32}$/),
    });
    fc.assert(
      fc.property(context, (original) => {
        const encoded = encodeAuthorizerContext(original);
        expect(parseAuthorizerContext(encoded)).toEqual(original);
        expect(parseAuthorizerContext(asRestCarriesIt(encoded))).toEqual(original);
      }),
    );
  });

  it.each([
    ['a subject longer than 2048 characters', { subject: 'a'.repeat(2049) }],
    ['a client id longer than 2048 characters', { clientId: 'c'.repeat(2049) }],
    ['a scope that holds a space', { scope: ['orders:read', 'orders:read admin'] }],
    ['an empty scope', { scope: ['orders:read', ''] }],
    ['a scope longer than 8192 characters in all', { scope: Array.from({ length: 1000 }, (_, i) => `scope-${i}`) }],
    ['an expiry beyond twelve digits', { expiresAt: 10 ** 12 }],
    ['no expiry', { expiresAt: 0 }],
  ])('refuses to encode %s as token_invalid (the parser could not read it back)', (_what, change) => {
    expect(codeOf(() => encodeAuthorizerContext({ ...decided, ...change }))).toBe('token_invalid');
  });

  it('fails loudly (not a refusal) on a route, issuer or token id that no configuration or hash produces', () => {
    for (const change of [{ route: '' }, { issuer: '' }, { tokenId: 'ABC' }]) {
      expect(codeOf(() => encodeAuthorizerContext({ ...decided, ...change }))).toMatch(/^not a GatepassError/);
    }
  });
});

describe('authorizer context: parser refusals (gateway_misconfigured)', () => {
  const encoded = encodeAuthorizerContext(decided);

  it.each([
    ['no context at all', undefined],
    ['a context that is not an object', 'route=orders-read'],
    ['a context of another authorizer (no gatepass keys)', { principalId: 'alice' }],
  ])('refuses %s', (_what, context) => {
    expect(codeOf(() => parseAuthorizerContext(context))).toBe('gateway_misconfigured');
  });

  it.each([
    ['route', ''],
    ['route', 'orders read'],
    ['route', 'r'.repeat(65)],
    ['action', 'allow'],
    ['action', undefined],
    ['issuer', ''],
    ['issuer', 'i'.repeat(65)],
    ['subject', 1],
    ['subject', 's'.repeat(2049)],
    ['clientId', undefined],
    ['scope', ['orders:read']],
    ['scope', 's'.repeat(8193)],
    ['expiresAt', 'tomorrow'],
    ['expiresAt', '1900000000.5'],
    ['expiresAt', '1234567890123'],
    ['expiresAt', 0],
    ['expiresAt', -1],
    ['expiresAt', Number.MAX_SAFE_INTEGER + 2],
    ['tokenId', 'A29946881530F57BC0DC587C8ACB4FFF'],
    ['tokenId', ''],
  ])('refuses a context whose %s is %j', (key, value) => {
    expect(codeOf(() => parseAuthorizerContext({ ...encoded, [key]: value }))).toBe('gateway_misconfigured');
  });

  it('accepts an empty subject, client id and scope (a client-credentials token may have none)', () => {
    expect(parseAuthorizerContext({ ...encoded, subject: '', clientId: '', scope: '' })).toMatchObject({ subject: '', clientId: '', scope: [] });
  });
});
