import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LEGACY_SECRET } from '../support/authorizer-harness.js';
import { captureOutput, type CapturedOutput } from '../support/captured-output.js';
import { logExecutors, type LogKits } from './executors/log-executors.js';
import { AuthorizerKit } from './support/authorizer-kit.js';
import { reportFigures } from './support/campaign-report.js';
import { canaryFindings, countCanaries } from './support/canary-search.js';
import { EgressRecorder } from './support/egress-recorder.js';
import { ExchangeKit } from './support/exchange-kit.js';
import { threat } from './threat-catalogue.js';

/**
 * Log hygiene (issue #7 part 4): canary tokens and secrets through every path, including the
 * errors libraries throw (aws-jwt-verify, node:crypto, jose, the AWS SDK, oidc-provider's
 * answers), with the real handler modules and their Powertools loggers. Whatever each case
 * writes is searched for its canaries raw, base64 (at every alignment), base64url and
 * URL-encoded: 0 occurrences.
 */

const egress = new EgressRecorder();
let authz: AuthorizerKit;
let exchange: ExchangeKit;
let output: CapturedOutput;
let kits: LogKits;
const totals = { cases: 0, calls: 0, canaries: 0, hits: 0, bytesSearched: 0 };

beforeAll(async () => {
  egress.install();
  output = captureOutput();
  [authz, exchange] = await Promise.all([AuthorizerKit.start(egress), ExchangeKit.start(egress)]);
  exchange.secretsManager.put('gatepass/legacy-introspection', LEGACY_SECRET);
  kits = {
    authz,
    exchange,
    authorizerHandler: async () => {
      const previous = process.env['GATEPASS_CONFIG'];
      // secretMaxAgeSeconds 0: every introspection reads its secret, so Secrets Manager faults show.
      process.env['GATEPASS_CONFIG'] = JSON.stringify(authz.document({ settings: { exchange: { secretMaxAgeSeconds: 0 }, jwks: { fetchTimeoutMs: 300 } } }));
      try {
        vi.resetModules();
        return ((await import('../../functions/authorizer/handler.js')) as { handler: (event: unknown) => Promise<unknown> }).handler;
      } finally {
        process.env['GATEPASS_CONFIG'] = previous;
      }
    },
  };
}, 60_000);

afterAll(async () => {
  output.restore();
  egress.uninstall();
  await Promise.all([authz.stop(), exchange.stop()]);
});

beforeEach(() => {
  authz.reset();
  exchange.resetFault();
});

describe('log hygiene: canaries through every path', () => {
  for (const [id, execute] of Object.entries(logExecutors)) {
    const entry = threat(id);
    it(`${id}: ${entry.threat}`, async () => {
      const start = output.text().length;
      const mark = egress.mark;
      const { canaries, calls } = await execute(kits);
      const written = output.text().slice(start);
      const hits = countCanaries(written, canaries);
      totals.cases += 1;
      totals.calls += calls;
      totals.canaries += canaries.length;
      totals.hits += hits;
      totals.bytesSearched += written.length;
      expect(calls).toBeGreaterThan(0);
      expect(canaries.length).toBeGreaterThan(0);
      expect(written, `${id} wrote nothing: nothing was tested`).toMatch(/"level":"(WARN|ERROR|INFO)"/);
      expect(canaryFindings(written, canaries), `${id} leaked`).toEqual([]);
      expect(egress.unlisted(mark)).toEqual([]);
    }, 30_000);
  }

  it('never needed the exchange logger’s redaction net', () => {
    const redactions = output.text().split('[redacted]').length - 1;
    reportFigures({ suite: 'log hygiene', catalogueCases: totals.cases, wrongAllows: 0, unexpected5xx: 0, unlistedEgress: 0, canaryHits: totals.hits, details: { requests: totals.calls, canaries: totals.canaries, bytesSearched: totals.bytesSearched, redactionNetActed: redactions } });
    expect(redactions).toBe(0);
  });
});
