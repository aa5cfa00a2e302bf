import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UnauthorizedSignal } from '../../functions/authorizer/authorizer-response.js';
import { httpApiEvent, restRequestEvent, restTokenEvent } from '../support/authorizer-events.js';
import { buildAuthorizer, PARTNER_ISSUER, startIdps, stopIdps, testConfigDocument, type Idps } from '../support/authorizer-harness.js';
import { generateTestKey, mintJwt, type TestKey } from '../support/token-minter.js';

/** Cases per property; `npm run test:security` raises it (issue #7). */
const RUNS = Number(process.env['GATEPASS_FUZZ_RUNS'] ?? 300);

let idps: Idps;
let key: TestKey;
let valid: string;

beforeAll(async () => {
  idps = await startIdps();
  key = await generateTestKey('RS256');
  idps.partner.behaviour = { keys: [key.publicJwk] };
  valid = await mintJwt(key, { iss: PARTNER_ISSUER, sub: 'alice', aud: 'https://api.example.com', scope: 'orders:read' }, { expiresIn: 3600 });
});

afterAll(async () => {
  await stopIdps(idps);
});

type Outcome = 'allow' | 'deny-401' | 'deny-403';

/** The only outcomes allowed for a refusal; anything thrown besides the 401 signal fails the property. */
async function outcomeOf(handle: () => Promise<unknown>): Promise<Outcome> {
  try {
    const result = (await handle()) as { isAuthorized?: boolean; policyDocument?: { Statement: { Effect: string }[] } };
    if (result.isAuthorized === true) return 'allow';
    if (result.isAuthorized === false) return 'deny-403';
    return result.policyDocument?.Statement[0]?.Effect === 'Allow' ? 'allow' : 'deny-403';
  } catch (error) {
    if (error instanceof UnauthorizedSignal) return 'deny-401';
    throw error;
  }
}

const base64urlChars = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'.split(''));

/** Header values: anything, bearer-looking junk, JWT-shaped junk, and several values. */
const authorizationValues = fc.oneof(
  fc.array(fc.string({ maxLength: 300 }), { maxLength: 3 }),
  fc.array(fc.string({ unit: 'binary', maxLength: 200 }), { minLength: 1, maxLength: 2 }),
  fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer\t', 'Basic ', 'Bearer'), fc.string({ unit: base64urlChars, maxLength: 400 })).map(([s, t]) => [s + t]),
  fc
    .tuple(fc.json({ maxDepth: 2 }), fc.json({ maxDepth: 2 }), fc.string({ unit: base64urlChars, maxLength: 80 }))
    .map(([h, p, sig]) => [`Bearer ${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}.${sig}`]),
);

describe('authorizer properties', () => {
  it('never allows arbitrary Authorization values, and only ever answers 401 or 403', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    await fc.assert(
      fc.asyncProperty(authorizationValues, fc.constantFrom('http', 'rest', 'token'), async (values, format) => {
        const input = { method: 'GET', path: '/orders/{id}', authorization: values.length ? values : undefined };
        const event = format === 'http' ? httpApiEvent(input) : format === 'rest' ? restRequestEvent(input) : restTokenEvent(input);
        const outcome = await outcomeOf(() => authorizer.handle(event));
        expect(outcome).not.toBe('allow');
      }),
      { numRuns: RUNS },
    );
  });

  it('never allows a valid token with one byte changed', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    expect(await outcomeOf(() => authorizer.handle(httpApiEvent({ method: 'GET', path: '/orders/{id}', authorization: `Bearer ${valid}` })))).toBe('allow');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), async (index, delta) => {
        const code = (valid.charCodeAt(index) + delta) % 256;
        const mutated = valid.slice(0, index) + String.fromCharCode(code) + valid.slice(index + 1);
        fc.pre(mutated !== valid);
        const outcome = await outcomeOf(() => authorizer.handle(httpApiEvent({ method: 'GET', path: '/orders/{id}', authorization: `Bearer ${mutated}` })));
        expect(outcome).not.toBe('allow');
      }),
      { numRuns: RUNS },
    );
  });

  it('never allows a token re-signed with a key the issuer does not publish, whatever its claims', async () => {
    const stranger = await generateTestKey('RS256', { kid: key.kid });
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }), async (extra) => {
        const token = await mintJwt(stranger, { ...extra, iss: PARTNER_ISSUER, aud: 'https://api.example.com', scope: 'orders:read' });
        const outcome = await outcomeOf(() => authorizer.handle(httpApiEvent({ method: 'GET', path: '/orders/{id}', authorization: `Bearer ${token}` })));
        expect(outcome).not.toBe('allow');
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 10)) },
    );
  });
});
