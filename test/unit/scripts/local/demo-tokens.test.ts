import { describe, expect, it } from 'vitest';
import { OpaqueTokenStore, parseTokenArgs, TokenArgsError } from '../../../../scripts/local/demo-tokens.js';

describe('npm run token arguments', () => {
  it('default to a partner token with no scope', () => {
    expect(parseTokenArgs([])).toEqual({ issuer: 'partner', scope: [], expired: false, json: false });
  });

  it('take scopes space separated or repeated, an issuer, a subject, expiry and JSON output', () => {
    expect(parseTokenArgs(['--issuer', 'corp', '--scope', 'orders:read orders:admin', '--scope', 'orders:read', '--sub', 'carol', '--expired', '--json'])).toEqual({
      issuer: 'corp',
      scope: ['orders:read', 'orders:admin'],
      subject: 'carol',
      expired: true,
      json: true,
    });
  });

  it("take the Entra-style tenant as an issuer: a signed-in user's token for gatepass's app", () => {
    expect(parseTokenArgs(['--issuer', 'entra', '--scope', 'access_as_user', '--sub', 'another-oid'])).toEqual({
      issuer: 'entra',
      scope: ['access_as_user'],
      subject: 'another-oid',
      expired: false,
      json: false,
    });
  });

  it('refuse an unknown issuer or option', () => {
    expect(() => parseTokenArgs(['--issuer', 'google'])).toThrow(TokenArgsError);
    expect(() => parseTokenArgs(['--scopes', 'x'])).toThrow(TokenArgsError);
    expect(() => parseTokenArgs(['stray'])).toThrow(TokenArgsError);
  });
});

describe('the legacy SSO token store', () => {
  const store = new OpaqueTokenStore('http://127.0.0.1:9');
  const now = 1_800_000_000;

  it('introspects a token it issued as active, with its claims and issuer', () => {
    const token = store.issue({ sub: 'svc', scope: 'reports', client_id: 'cli', exp: now + 60 });
    expect(token).toMatch(/^lgcy_[A-Za-z0-9_-]{32}$/);
    expect(store.introspect(token, now)).toEqual({ active: true, iss: 'http://127.0.0.1:9', token_type: 'Bearer', sub: 'svc', scope: 'reports', client_id: 'cli', exp: now + 60 });
  });

  it('says inactive for an expired, unknown or missing token, and nothing more', () => {
    const expired = store.issue({ sub: 'svc', scope: 'reports', client_id: 'cli', exp: now - 1 });
    expect(store.introspect(expired, now)).toEqual({ active: false });
    expect(store.introspect('lgcy_unknown', now)).toEqual({ active: false });
    expect(store.introspect(null, now)).toEqual({ active: false });
  });
});
