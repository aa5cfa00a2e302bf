import { describe, expect, it } from 'vitest';
import { REDACTED, redactingReplacer, redactText, SensitiveValues } from '../../../functions/exchange/log-redaction.js';

const jwt = 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ1c2VyLTEiLCJzY29wZSI6Im9yZGVyczpyZWFkIn0.c2lnbmF0dXJlLWJ5dGVz';

describe('log redaction', () => {
  it('removes anything shaped like a compact JWS or JWE', () => {
    expect(redactText(`token ${jwt} rejected`, new SensitiveValues())).toBe(`token ${REDACTED} rejected`);
    expect(redactText('eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn', new SensitiveValues())).toBe(REDACTED);
  });

  it('removes Bearer, Basic and DPoP credentials but keeps the scheme', () => {
    const registry = new SensitiveValues();
    expect(redactText('Authorization: Bearer opaque-token-123', registry)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText('basic dXNlcjpwYXNz', registry)).toBe(`basic ${REDACTED}`);
    expect(redactText('DPoP abc.def-ghi', registry)).toBe(`DPoP ${REDACTED}`);
  });

  it('removes registered values raw, base64, base64url, URL- and form-encoded', () => {
    const registry = new SensitiveValues();
    const secret = 'canary secret/+=?&value';
    registry.add(secret);
    for (const form of [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      encodeURIComponent(secret),
      new URLSearchParams({ v: secret }).toString().slice(2),
    ]) {
      expect(redactText(`before ${form} after`, registry)).toBe(`before ${REDACTED} after`);
    }
  });

  it('ignores values too short to be credentials', () => {
    const registry = new SensitiveValues();
    registry.add('abc');
    expect(redactText('abc abc abc', registry)).toBe('abc abc abc');
  });

  it('forgets the oldest values beyond its bound', () => {
    const registry = new SensitiveValues(2);
    registry.add('first-value-1', 'second-value-2', 'third-value-3');
    expect(redactText('first-value-1 third-value-3', registry)).toBe(`first-value-1 ${REDACTED}`);
  });

  it('redacts whole values under credential-like keys, whatever their type', () => {
    const replacer = redactingReplacer(new SensitiveValues());
    const json = JSON.stringify(
      {
        authorization: 'x',
        Cookie: ['a=1'],
        client_secret: 's',
        subjectToken: { nested: true },
        'X-Amz-Security-Token': 'y',
        tokenId: '0123456789abcdef0123456789abcdef',
        route: 'orders-read',
      },
      replacer,
    );
    expect(JSON.parse(json)).toEqual({
      authorization: REDACTED,
      Cookie: REDACTED,
      client_secret: REDACTED,
      subjectToken: REDACTED,
      'X-Amz-Security-Token': REDACTED,
      tokenId: '0123456789abcdef0123456789abcdef',
      route: 'orders-read',
    });
  });

  it('leaves ordinary values alone', () => {
    const replacer = redactingReplacer(new SensitiveValues());
    const value = { message: 'upstream answered 502', n: 3, ok: true, list: ['a', 'b'], none: null };
    expect(JSON.parse(JSON.stringify(value, replacer))).toEqual(value);
  });
});
