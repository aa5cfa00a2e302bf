import { createHmac, createPublicKey, randomBytes, sign as cryptoSign } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url } from '../support/token-minter.js';
import { AuthorizerKit, ORDERS_READ, type BuiltAuthorizer, type FormatName } from './support/authorizer-kit.js';
import { reportFigures, runsFor } from './support/campaign-report.js';
import { EgressRecorder } from './support/egress-recorder.js';
import { applyMutation, byteMutation, claimMutation, headerMutation, type Mutation } from './support/token-mutations.js';

/**
 * Property-based cases (issue #7 part 2), through the real Authorizer in all three event
 * formats: arbitrary Authorization values and forged tokens with arbitrary headers never
 * allow; a valid token with one byte, one claim or one header field changed (signature
 * kept) never allows; and nothing ever answers 500. `npm test` runs a few thousand cases,
 * `npm run test:security` well over 100,000 (with the cache-key and differential suites).
 */

const RUNS = {
  authorization: runsFor(300, 12_000),
  forged: runsFor(400, 20_000),
  byte: runsFor(600, 25_000),
  claim: runsFor(400, 15_000),
  header: runsFor(400, 12_000),
};

const egress = new EgressRecorder();
let kit: AuthorizerKit;
let built: BuiltAuthorizer;
let valid: Record<'RS256' | 'ES256' | 'EdDSA', string>;
const tally = { cases: 0, allows: 0, fiveHundreds: 0 };

beforeAll(async () => {
  egress.install();
  kit = await AuthorizerKit.start(egress);
  built = kit.build({ quiet: true });
  const exp = Math.floor(Date.now() / 1000) + 3600;
  valid = {
    RS256: kit.sign(kit.keys.partnerRs, {}, kit.claims({ exp })),
    ES256: kit.sign(kit.keys.partnerEs, {}, kit.claims({ exp })),
    EdDSA: kit.sign(kit.keys.partnerEd, {}, kit.claims({ exp })),
  };
}, 60_000);

afterAll(async () => {
  egress.uninstall();
  await kit.stop();
});

const formats = fc.constantFrom<FormatName>('http-v2', 'rest-request', 'rest-token');

/** One decision; counted, and asserted to be a clean refusal. */
async function refused(authorization: string | string[] | undefined, format: FormatName): Promise<void> {
  const probe = await kit.decide(built, format, { ...ORDERS_READ, ...(authorization !== undefined ? { authorization } : {}) });
  tally.cases += 1;
  if (probe.status === 200) tally.allows += 1;
  if (probe.status >= 500) tally.fiveHundreds += 1;
  expect(probe.status, `${probe.outcome} ${probe.reason ?? ''}`).not.toBe(200);
  expect(probe.status, `${probe.outcome} ${probe.reason ?? ''}`).not.toBe(500);
}

const b64uChars = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'.split(''));

const authorizationValues: fc.Arbitrary<string | string[]> = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fc.string({ maxLength: 100 }), { minLength: 2, maxLength: 3 }),
  fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer\t', 'Basic ', 'DPoP ', 'Bearer', ' Bearer '), fc.string({ unit: b64uChars, maxLength: 600 })).map(([s, t]) => s + t),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: b64uChars, maxLength: 120 })).map(([h, p, sig]) => `Bearer ${base64url(JSON.stringify(h) ?? 'null')}.${base64url(JSON.stringify(p) ?? 'null')}.${sig}`),
);

const HOSTILE_HEADER = fc.dictionary(
  fc.constantFrom('typ', 'cty', 'crit', 'b64', 'enc', 'zip', 'jku', 'jwk', 'x5u', 'x5c', 'x5t', '__proto__'),
  fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom<unknown>('JWT', 'at+jwt', ['exp'], false, 'A256GCM', 'http://127.0.0.1:1/jwks')),
  { maxKeys: 3 },
);

type Forgery = 'none' | 'hmac-public-key' | 'random' | 'attacker-es256' | 'transplant';

describe('authorizer properties (issue #7)', () => {
  it('never allows an arbitrary Authorization value, in any event format', async () => {
    await fc.assert(fc.asyncProperty(authorizationValues, formats, (value, format) => refused(value, format)), { numRuns: RUNS.authorization });
  });

  it('never allows a forged token, whatever its header says and whoever it claims to be', async () => {
    const pem = createPublicKey(kit.keys.partnerRs.privateKey).export({ type: 'spki', format: 'pem' }) as string;
    const transplanted = valid.RS256.split('.')[2]!;
    const forgery = fc.constantFrom<Forgery>('none', 'hmac-public-key', 'random', 'attacker-es256', 'transplant');
    const alg = fc.constantFrom('none', 'HS256', 'RS256', 'ES256', 'EdDSA', 'PS256', 'RS512');
    const kid = fc.oneof(fc.constantFrom(kit.keys.partnerRs.kid, kit.keys.partnerEs.kid, kit.keys.partnerEd.kid, 'attacker-es'), fc.string({ maxLength: 20 }));
    const claims = fc.dictionary(fc.constantFrom('sub', 'scope', 'aud', 'exp', 'nbf', 'act', 'may_act', 'client_id'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(forgery, alg, kid, HOSTILE_HEADER, claims, formats, async (how, algorithm, keyId, extra, extraClaims, format) => {
        const header = { ...extra, alg: algorithm, kid: keyId };
        const input = `${base64url(header)}.${base64url(kit.claims({ ...extraClaims, exp: Math.floor(Date.now() / 1000) + 300 }))}`;
        let signature: string;
        if (how === 'none') signature = '';
        else if (how === 'hmac-public-key') signature = createHmac('sha256', pem).update(input).digest('base64url');
        else if (how === 'random') signature = randomBytes(algorithm.startsWith('ES') || algorithm === 'EdDSA' ? 64 : 256).toString('base64url');
        else if (how === 'attacker-es256') signature = cryptoSign('sha256', Buffer.from(input), { key: kit.keys.attackerEs.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
        else signature = transplanted;
        await refused(`Bearer ${input}.${signature}`, format);
      }),
      { numRuns: RUNS.forged },
    );
  });

  const mutated = (name: string, arbitrary: (token: string) => fc.Arbitrary<Mutation>, runs: number) =>
    it(`never allows a valid token with ${name} changed (signature kept)`, async () => {
      const which = fc.constantFrom<keyof typeof valid>('RS256', 'ES256', 'EdDSA');
      for (const token of Object.values(valid)) expect((await kit.decide(built, 'http-v2', { ...ORDERS_READ, authorization: `Bearer ${token}` })).outcome).toBe('allow');
      await fc.assert(
        fc.asyncProperty(
          which.chain((alg) => fc.tuple(fc.constant(valid[alg]), arbitrary(valid[alg]))),
          formats,
          async ([token, mutation], format) => {
            const changed = applyMutation(token, mutation).token;
            // Whitespace around the token is the header's, not the token's (RFC 6750 §2.1 allows it).
            fc.pre(changed.trim() !== token);
            await refused(`Bearer ${changed}`, format);
          },
        ),
        { numRuns: runs },
      );
    });

  mutated('one byte', (token) => byteMutation(token.length), RUNS.byte);
  mutated('one claim', () => claimMutation(), RUNS.claim);
  mutated('one header field', () => headerMutation(), RUNS.header);

  it('made no network call to anything unlisted, and reports its figures', () => {
    const unlisted = egress.unlisted();
    reportFigures({ suite: 'properties: authorizer', propertyCases: tally.cases, wrongAllows: tally.allows, unexpected5xx: tally.fiveHundreds, unlistedEgress: unlisted.length, canaryHits: 0, details: { runs: RUNS } });
    expect(unlisted).toEqual([]);
    expect(tally.cases).toBeGreaterThanOrEqual(Object.values(RUNS).reduce((a, b) => a + b, 0) * 0.9);
  });
});
