import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactingReplacer, redactText, SensitiveValues } from '../../../../functions/shared/telemetry/log-redaction.js';

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

  it('redacts a registered value that contains another one whole, whichever was registered first', () => {
    const inner = 'client-secret-42';
    const outer = `opaque.${inner}.tail-of-the-token`;
    for (const order of [[inner, outer], [outer, inner]]) {
      const registry = new SensitiveValues();
      registry.add(...order);
      expect(redactText(`a ${outer} b ${inner} c`, registry)).toBe(`a ${REDACTED} b ${REDACTED} c`);
    }
  });

  it('leaves no registered value, in any encoding, in any text, however values and texts mix', () => {
    const piece = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '-', '/', '+', '=', ' ', '?', '&', 'é'), minLength: 8, maxLength: 24 });
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), fc.string({ maxLength: 6 }), (values, picks, glue) => {
        const registry = new SensitiveValues();
        registry.add(...values);
        const forms = values.flatMap((v) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('base64url'), encodeURIComponent(v), new URLSearchParams({ v }).toString().slice(2)]);
        const text = picks.map((n) => forms[n % forms.length]).join(glue);
        const out = registry.redact(text);
        for (const form of forms) expect(out.includes(form)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps redacting the values it still holds after forgetting older ones', () => {
    const registry = new SensitiveValues(3);
    const values = Array.from({ length: 10 }, (_, n) => `registered-value-${n}-${'x'.repeat(n)}`);
    registry.add(...values);
    for (const [n, value] of values.entries()) {
      expect(registry.redact(`<${value}>`)).toBe(n >= 7 ? `<${REDACTED}>` : `<${value}>`);
      expect(registry.redact(Buffer.from(value).toString('base64'))).toBe(n >= 7 ? REDACTED : Buffer.from(value).toString('base64'));
    }
    registry.clear();
    expect(registry.redact(values[9]!)).toBe(values[9]);
  });

  it('redacts exactly what the two credential patterns match, though it skips their scans on texts without their mandatory parts', () => {
    const JWT = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;
    const CRED = /\b(Bearer|Basic|DPoP)(\s+)[A-Za-z0-9\-._~+/]+=*/gi;
    const reference = (text: string) => (text.length < 8 ? text : text.replace(JWT, REDACTED).replace(CRED, `$1$2${REDACTED}`));
    const part = fc.constantFrom('eyJ', 'eyJhbGci', '.', 'abc', 'Bearer', 'basic', 'DPoP', ' ', '\t', '\n', '\u00a0', '\u2003', '=', '/', 'x', '-');
    fc.assert(
      fc.property(fc.array(part, { maxLength: 20 }), (parts) => {
        const text = parts.join('');
        expect(redactText(text, new SensitiveValues())).toBe(reference(text));
      }),
      { numRuns: 3000 },
    );
  });
});
