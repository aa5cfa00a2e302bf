import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureOutput, type CapturedOutput } from '../support/captured-output.js';
import { authorizerExecutors } from './executors/authorizer-executors.js';
import { AuthorizerKit } from './support/authorizer-kit.js';
import { reportFigures } from './support/campaign-report.js';
import { canaryFindings, countCanaries } from './support/canary-search.js';
import { EgressRecorder } from './support/egress-recorder.js';
import { checkAuthorizerProbes } from './support/outcome-check.js';
import { threat } from './threat-catalogue.js';

/**
 * The authorizer's catalogue cases, each run by id through the real Authorizer on
 * 127.0.0.1 servers. Around every case: no TCP connection to anything the configuration
 * does not list; after all of them: no presented token in the logs, in any encoding.
 */

const egress = new EgressRecorder();
let kit: AuthorizerKit;
let output: CapturedOutput;
const totals = { cases: 0, probes: 0, wrongAllows: 0, unexpected5xx: 0, unlistedEgress: 0 };

beforeAll(async () => {
  egress.install();
  kit = await AuthorizerKit.start(egress);
  output = captureOutput();
});

afterAll(async () => {
  output.restore();
  egress.uninstall();
  await kit.stop();
});

beforeEach(() => kit.reset());

describe('threat catalogue: the authorizer', () => {
  for (const [id, execute] of Object.entries(authorizerExecutors)) {
    const entry = threat(id);
    it(`${id}: ${entry.threat}`, async () => {
      const mark = egress.mark;
      const probes = await execute(kit);
      const unlisted = egress.unlisted(mark);
      const tally = checkAuthorizerProbes(entry, probes);
      totals.cases += 1;
      totals.probes += tally.probes;
      totals.wrongAllows += tally.wrongAllows;
      totals.unexpected5xx += tally.unexpected5xx;
      totals.unlistedEgress += unlisted.length;
      expect(unlisted, `${id} connected to unlisted hosts`).toEqual([]);
    });
  }

  it('wrote log lines, none holding a presented token in any encoding', () => {
    const text = output.text();
    expect(text).toMatch(/authorizer\.decision/);
    const hits = countCanaries(text, kit.presented);
    reportFigures({ suite: 'catalogue: authorizer', catalogueCases: totals.cases, wrongAllows: totals.wrongAllows, unexpected5xx: totals.unexpected5xx, unlistedEgress: totals.unlistedEgress, canaryHits: hits, details: { probes: totals.probes, tokensWatched: kit.presented.size } });
    expect(canaryFindings(text, kit.presented)).toEqual([]);
  });
});
