import { sign as cryptoSign } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwksParser } from '../../functions/shared/token-validation/jwks-source.js';
import { scopesOf } from '../../functions/shared/claims.js';
import { PARTNER_ISSUER } from '../support/authorizer-harness.js';
import type { TestKey } from '../support/token-minter.js';
import { differentialTriage, triageOf } from './differential-triage.js';
import { API_AUD, AuthorizerKit, ORDERS_READ, type BuiltAuthorizer } from './support/authorizer-kit.js';
import { reportFigures, runsFor } from './support/campaign-report.js';
import { EgressRecorder } from './support/egress-recorder.js';
import { anyMutation, applyMutation } from './support/token-mutations.js';

/**
 * Differential check (issue #7 part 2): the same mutated tokens through gatepass (its strict
 * decomposition and aws-jwt-verify, via the real Authorizer) and through jose's jwtVerify
 * with equivalent options (issuer, audience, the issuer's algorithms, the same skew, exp
 * required, the same usable keys) plus the route's scope check. Half the mutations are
 * re-signed with the issuer's key, so the two libraries' semantics, not just the signature,
 * are compared. Every disagreement must fall into a category triaged in
 * differential-triage.ts (and so in SECURITY.md); an untriaged one fails the suite.
 */

const RUNS = runsFor(300, 10_000);
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const SKEW = 30;

const egress = new EgressRecorder();
let kit: AuthorizerKit;
let built: BuiltAuthorizer;
let joseKeys: ReturnType<typeof createLocalJWKSet>;
let bases: { token: string; key: TestKey }[];
const disagreements = new Map<string, { count: number; example: string }>();
const tally = { cases: 0, agreeAllow: 0, agreeRefuse: 0, gatepassOnlyAllows: 0 };

beforeAll(async () => {
  egress.install();
  kit = await AuthorizerKit.start(egress);
  built = kit.build({ quiet: true });
  // jose gets exactly the keys gatepass would keep from the same JWKS.
  const published = { keys: kit.idps.partner.behaviour.keys };
  const usable = createJwksParser(100)(new TextEncoder().encode(JSON.stringify(published)).buffer as ArrayBuffer);
  joseKeys = createLocalJWKSet(usable as unknown as JSONWebKeySet);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  bases = [kit.keys.partnerEs, kit.keys.partnerEd, kit.keys.partnerRs].map((key) => ({ key, token: kit.sign(key, {}, kit.claims({ exp })) }));
}, 60_000);

afterAll(async () => {
  egress.uninstall();
  await kit.stop();
});

function resign(token: string, key: TestKey): string {
  const [h, p] = token.split('.') as [string, string];
  const input = Buffer.from(`${h}.${p}`);
  let signature: Buffer;
  if (key.alg === 'EdDSA') signature = cryptoSign(null, input, key.privateKey);
  else if (key.alg.startsWith('ES')) signature = cryptoSign(`sha${key.alg.slice(2)}`, input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  else signature = cryptoSign(`sha${key.alg.slice(2)}`, input, key.privateKey);
  return `${h}.${p}.${signature.toString('base64url')}`;
}

async function joseAllows(token: string): Promise<{ allow: boolean; reason: string }> {
  try {
    const { payload } = await jwtVerify(token, joseKeys, { issuer: PARTNER_ISSUER, audience: API_AUD, algorithms: ALGORITHMS, clockTolerance: SKEW, requiredClaims: ['exp'] });
    return scopesOf(payload).includes('orders:read') ? { allow: true, reason: 'ok' } : { allow: false, reason: 'scope' };
  } catch (error) {
    const e = error as { code?: string; claim?: string; message?: string };
    return { allow: false, reason: `${e.code ?? 'error'}${e.claim ? `:${e.claim}` : ''}` };
  }
}

describe('differential: gatepass (aws-jwt-verify) against jose', () => {
  it('allows the same unmutated tokens', async () => {
    for (const { token } of bases) {
      expect((await kit.decide(built, 'http-v2', { ...ORDERS_READ, authorization: `Bearer ${token}` })).outcome).toBe('allow');
      expect((await joseAllows(token)).allow).toBe(true);
    }
  });

  it('disagrees only where the disagreement is triaged', async () => {
    const base = fc.nat({ max: 2 });
    await fc.assert(
      fc.asyncProperty(
        base.chain((i) => fc.tuple(fc.constant(i), anyMutation(bases[i]!.token.length), fc.boolean())),
        async ([index, mutation, resigned]) => {
          const { token: original, key } = bases[index]!;
          let token = applyMutation(original, mutation).token;
          if (resigned && token.split('.').length === 3) token = resign(token, key);
          fc.pre(token.trim() !== original);
          tally.cases += 1;
          const gatepass = await kit.decide(built, 'http-v2', { ...ORDERS_READ, authorization: `Bearer ${token}` });
          const gatepassAllows = gatepass.outcome === 'allow';
          const jose = await joseAllows(token);
          if (gatepassAllows === jose.allow) {
            if (gatepassAllows) tally.agreeAllow += 1;
            else tally.agreeRefuse += 1;
            return;
          }
          const category = triageOf({ gatepassAllows, gatepassReason: gatepass.reason ?? gatepass.outcome, joseReason: jose.reason, token });
          const seen = disagreements.get(category) ?? { count: 0, example: `${mutation.kind} ${JSON.stringify(mutation).slice(0, 120)} gatepass=${gatepass.outcome}/${gatepass.reason ?? ''} jose=${jose.reason}` };
          seen.count += 1;
          disagreements.set(category, seen);
          if (gatepassAllows) tally.gatepassOnlyAllows += 1;
          expect(differentialTriage[category], `untriaged disagreement ${category}: ${seen.example}`).toBeDefined();
          // gatepass may be stricter than jose; where it is laxer, the triage must say why that is safe.
          if (gatepassAllows) expect(differentialTriage[category]?.direction).toBe('gatepass-allows');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('reports the figures and every category seen', () => {
    const byCategory = Object.fromEntries([...disagreements].map(([k, v]) => [k, v.count]));
    reportFigures({
      suite: 'differential: gatepass vs jose',
      propertyCases: tally.cases,
      wrongAllows: 0,
      unexpected5xx: 0,
      unlistedEgress: egress.unlisted().length,
      canaryHits: 0,
      details: { agreeAllow: tally.agreeAllow, agreeRefuse: tally.agreeRefuse, gatepassOnlyAllows: tally.gatepassOnlyAllows, disagreements: byCategory },
    });
    expect(egress.unlisted()).toEqual([]);
    expect(tally.agreeAllow + tally.agreeRefuse).toBeGreaterThan(0);
  });
});
