import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureOutput, type CapturedOutput } from '../support/captured-output.js';
import { exchangeExecutors } from './executors/exchange-executors.js';
import { reportFigures } from './support/campaign-report.js';
import { canaryFindings, countCanaries } from './support/canary-search.js';
import { EgressRecorder } from './support/egress-recorder.js';
import { ExchangeKit } from './support/exchange-kit.js';
import { checkExchangeProbes } from './support/outcome-check.js';
import { threat } from './threat-catalogue.js';

/**
 * The exchange Lambda's catalogue cases (and the cached-policy cases it enforces), each run
 * by id end to end on 127.0.0.1. Around every case: no connection to anything unlisted, and
 * every token the upstream received was valid for its route. After all of them: no token
 * or secret of any case in the output, in any encoding.
 */

const egress = new EgressRecorder();
let kit: ExchangeKit;
let output: CapturedOutput;
const totals = { cases: 0, probes: 0, wrongAllows: 0, unexpected5xx: 0, unlistedEgress: 0 };

beforeAll(async () => {
  egress.install();
  output = captureOutput();
  kit = await ExchangeKit.start(egress);
}, 60_000);

afterAll(async () => {
  output.restore();
  egress.uninstall();
  await kit.stop();
});

beforeEach(() => {
  kit.resetFault();
  kit.caseResponder = undefined;
  kit.attacker.requests.length = 0;
});

describe('threat catalogue: the exchange Lambda', () => {
  for (const [id, execute] of Object.entries(exchangeExecutors)) {
    const entry = threat(id);
    it(`${id}: ${entry.threat}`, async () => {
      const mark = egress.mark;
      const invalidBefore = kit.invalidForwards.length;
      const probes = await execute(kit);
      const unlisted = egress.unlisted(mark);
      const tally = checkExchangeProbes(entry, probes);
      totals.cases += 1;
      totals.probes += tally.probes;
      totals.wrongAllows += tally.wrongAllows + (kit.invalidForwards.length - invalidBefore);
      totals.unexpected5xx += tally.unexpected5xx;
      totals.unlistedEgress += unlisted.length;
      expect(kit.invalidForwards.slice(invalidBefore), `${id}: the upstream received a token it must not`).toEqual([]);
      expect(unlisted, `${id} connected to unlisted hosts`).toEqual([]);
    }, 30_000);
  }

  it('wrote audit lines, none holding a token or secret of any case in any encoding', () => {
    const text = output.text();
    expect(text).toMatch(/exchange\.decision/);
    const hits = countCanaries(text, kit.secrets);
    const redactions = text.split('[redacted]').length - 1;
    reportFigures({
      suite: 'catalogue: exchange',
      catalogueCases: totals.cases,
      wrongAllows: totals.wrongAllows,
      unexpected5xx: totals.unexpected5xx,
      unlistedEgress: totals.unlistedEgress,
      canaryHits: hits,
      details: { probes: totals.probes, upstreamRequestsChecked: kit.forwardsChecked, invalidForwards: kit.invalidForwards.length, secretsWatched: kit.secrets.size, redactionNetActed: redactions },
    });
    expect(canaryFindings(text, kit.secrets)).toEqual([]);
  });
});
