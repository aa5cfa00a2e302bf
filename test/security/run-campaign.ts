/**
 * `npm run test:security`: the whole security campaign (issue #7), bounded to well under
 * 10 minutes, printing its figures as a plain table and writing them into SECURITY.md.
 *
 * 1. SECURITY.md's generated sections (catalogue, differential triage) are brought up to date.
 * 2. vitest runs test/security and test/property in the full profile: every catalogue case,
 *    over 100,000 property-based and differential cases.
 * 3. The fault-injection load run against the local stack (test/security/load/fault-load.ts).
 * 4. The figures are printed and written into SECURITY.md. Exit 1 on any failed test, any
 *    wrong allow or answer, 5xx to a caller mistake, unlisted connection, forward without a
 *    valid issued token, or canary in a log; or if the campaign took 10 minutes or more.
 *
 * Options: `--load-seconds N` (default 48: the faults end at 12 s, the circuits they open close
 * after their 30 s, and the last seconds show the recovery), `--no-load`, `--no-write`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../../scripts/command-line.js';
import { FIGURES_END, FIGURES_START, withGeneratedSections, withSection } from './catalogue-markdown.js';
import type { FaultLoadFigures } from './load/fault-load.js';
import type { SuiteFigures } from './support/campaign-report.js';
import { threatCatalogue } from './threat-catalogue.js';

const DEFAULT_LOAD_SECONDS = 48;
const USAGE = `usage: npm run test:security -- [--load-seconds <n>] [--no-load] [--no-write]
  the security campaign, full profile (under 10 minutes): every threat-catalogue case, the property-based
  and differential cases, and a fault-injection load run against the local stack; prints the figures
  and writes them into SECURITY.md
  --load-seconds  length of the load run (default ${DEFAULT_LOAD_SECONDS}: the faults end at 12 s, the circuits close 30 s later)
  --no-load       skip the load run
  --no-write      leave SECURITY.md as it is`;

const { values: options } = parseCommandLine(
  USAGE,
  { options: { 'load-seconds': { type: 'string', default: String(DEFAULT_LOAD_SECONDS) }, 'no-load': { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } } },
  ({ values }) => (/^[1-9]\d{0,2}$/.test(values['load-seconds']) ? undefined : '--load-seconds must be a whole number of seconds from 1 to 999'),
);
// Loaded after the command line: importing the load run starts oidc-provider's runtime warning.
const { runFaultLoad } = await import('./load/fault-load.js');

const root = fileURLToPath(new URL('../..', import.meta.url));
const securityFile = join(root, 'SECURITY.md');
const loadSeconds = Number(options['load-seconds']);
const runLoad = !options['no-load'];
const write = !options['no-write'];
const started = Date.now();
const BUDGET_MS = 10 * 60 * 1000;

function runVitest(reportDir: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/security', 'test/property', '--reporter=dot'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, GATEPASS_SECURITY_PROFILE: 'full', GATEPASS_SECURITY_REPORT: reportDir, GATEPASS_FUZZ_RUNS: '3000' },
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function readFigures(reportDir: string): SuiteFigures[] {
  try {
    return readFileSync(join(reportDir, 'figures.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SuiteFigures);
  } catch {
    return [];
  }
}

const pad = (text: string | number, width: number) => String(text).padEnd(width);
const num = (n: number) => n.toLocaleString('en-US');

function table(rows: readonly (readonly (string | number)[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => pad(c, widths[i]!)).join('  ')).join('\n');
}

function markdownTable(rows: readonly (readonly (string | number)[])[]): string {
  const [head, ...body] = rows;
  return [`| ${head!.join(' | ')} |`, `|${head!.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Agreements, then each triaged disagreement category with its count. */
function differentialRows(differential: SuiteFigures): (string | number)[][] {
  const details = (differential.details ?? {}) as { agreeAllow?: number; agreeRefuse?: number; gatepassOnlyAllows?: number; disagreements?: Record<string, number> };
  const rows: (string | number)[][] = [
    ['outcome', 'tokens'],
    ['both allow', num(details.agreeAllow ?? 0)],
    ['both refuse', num(details.agreeRefuse ?? 0)],
    ['gatepass allows, jose refuses', num(details.gatepassOnlyAllows ?? 0)],
  ];
  for (const [category, count] of Object.entries(details.disagreements ?? {}).sort((a, b) => b[1] - a[1])) rows.push([`gatepass refuses, jose allows: ${category}`, num(count)]);
  return rows;
}

async function main(): Promise<number> {
  if (write) writeFileSync(securityFile, withGeneratedSections(readFileSync(securityFile, 'utf8')));
  const reportDir = mkdtempSync(join(tmpdir(), 'gatepass-security-'));
  let figures: SuiteFigures[] = [];
  let vitestStatus: number | undefined;
  let load: FaultLoadFigures | undefined;
  let loadError: Error | undefined;
  try {
    console.log('gatepass security campaign: full profile (catalogue, properties, differential)\n');
    vitestStatus = await runVitest(reportDir);
    if (runLoad) {
      console.log(`\nfault injection under load: ${loadSeconds} s against the local stack`);
      try {
        load = await runFaultLoad({ durationSeconds: loadSeconds, maxRequests: 25_000, connections: 16, requestsPerSubject: 6, log: (line) => console.log(`  ${line}`) });
      } catch (error) {
        loadError = error as Error;
      }
    }
  } finally {
    const order = ['catalogue: authorizer', 'catalogue: exchange', 'log hygiene', 'properties: authorizer', 'properties: cache keys', 'differential: gatepass vs jose'];
    const rank = (suite: string) => (order.indexOf(suite) === -1 ? order.length : order.indexOf(suite));
    figures = readFigures(reportDir).sort((a, b) => rank(a.suite) - rank(b.suite));
    rmSync(reportDir, { recursive: true, force: true });
  }

  const sum = (pick: (f: SuiteFigures) => number | undefined) => figures.reduce((total, f) => total + (pick(f) ?? 0), 0);
  const fixed = sum((f) => f.catalogueCases);
  const properties = sum((f) => f.propertyCases);
  const zero = { wrongAllows: sum((f) => f.wrongAllows), fiveXX: sum((f) => f.unexpected5xx), egress: sum((f) => f.unlistedEgress), canaries: sum((f) => f.canaryHits) };
  const automated = threatCatalogue.filter((t) => t.automated === true).length;
  const elapsedMs = Date.now() - started;

  const suiteRows: (string | number)[][] = [['suite', 'catalogue cases', 'property cases', 'wrong allows', 'unexpected 5xx', 'unlisted egress', 'canary hits']];
  for (const f of figures) suiteRows.push([f.suite, num(f.catalogueCases ?? 0), num(f.propertyCases ?? 0), f.wrongAllows, f.unexpected5xx, f.unlistedEgress, f.canaryHits]);
  suiteRows.push(['total', num(fixed), num(properties), zero.wrongAllows, zero.fiveXX, zero.egress, zero.canaries]);

  const headline = `${num(fixed)} fixed attack vectors + ${num(properties)} property-based cases: ${zero.wrongAllows} wrong allows, ${zero.fiveXX} 5xx, ${zero.egress} calls to unlisted hosts, ${zero.canaries} token bytes in logs`;
  const loadRows: (string | number)[][] | undefined = load && [
    ['requests sent', 'responses', 'wrong answers', 'forwarded without a valid issued token', 'token endpoint calls / unique key (max for one key)', 'p50 ms', 'p99 ms', 'valid p50 / p99 ms', 'unlisted egress', 'canary hits in function logs'],
    [
      num(load.requestsSent),
      num(load.responses),
      load.wrongAnswers,
      load.forwardsWithoutValidToken,
      `${num(load.tokenEndpointCalls)} / ${num(load.uniqueKeys)} = ${load.tokenEndpointCallsPerKey.toFixed(2)} (${load.maxTokenEndpointCallsForOneKey})`,
      load.latencyMs.p50,
      load.latencyMs.p99,
      `${load.latencyMs.validP50} / ${load.latencyMs.validP99}`,
      load.unlistedEgress,
      load.canaryHitsInFunctionLogs,
    ],
  ];
  const differential = figures.find((f) => f.suite.startsWith('differential'));

  console.log(`\n${'='.repeat(100)}\ngatepass security figures (${new Date().toISOString()}, ${Math.round(elapsedMs / 1000)} s)\n`);
  console.log(headline);
  console.log(`catalogue: ${threatCatalogue.length} cases, ${automated} automated\n`);
  console.log(table(suiteRows));
  if (differential) console.log(`\ndifferential (gatepass vs jose):\n${table(differentialRows(differential))}`);
  if (load && loadRows) {
    console.log('\nfault injection under load (local stack, loopback):');
    console.log(table(loadRows));
    console.log(`valid requests ${num(load.validRequests)}, refused during faults: ${JSON.stringify(load.availabilityRefusals)}; invalid requests ${num(load.invalidRequests)}: ${JSON.stringify(load.invalidRefusals)}`);
    console.log(`faults: ${load.faults.join('; ')}`);
    console.log(`function log events: ${JSON.stringify(load.functionLogEvents)}`);
    console.log(`recovery: ${load.recovery.okInLast3s} of ${load.recovery.validInLast3s} valid requests in the last 3 s answered 2xx`);
    if (load.wrongExamples.length) console.log(`wrong: ${load.wrongExamples.join('; ')}`);
  }
  if (loadError) console.log(`\nthe load run failed: ${loadError.message}`);

  const failures: string[] = [];
  if (vitestStatus !== 0) failures.push('vitest failed');
  if (figures.length === 0) failures.push('no figures were reported');
  if (properties < 100_000) failures.push(`only ${properties} property-based cases`);
  for (const [name, value] of Object.entries(zero)) if (value !== 0) failures.push(`${name}: ${value}`);
  if (runLoad && !load) failures.push('no load figures');
  if (load) {
    if (load.recovery.validInLast3s === 0 || load.recovery.okInLast3s !== load.recovery.validInLast3s) failures.push(`load: no full recovery (${load.recovery.okInLast3s} of ${load.recovery.validInLast3s} valid requests ok in the last 3 s)`);
    if (load.wrongAnswers !== 0) failures.push(`load: ${load.wrongAnswers} wrong answers`);
    if (load.forwardsWithoutValidToken !== 0) failures.push(`load: ${load.forwardsWithoutValidToken} forwards without a valid issued token`);
    if (load.unlistedEgress !== 0) failures.push(`load: ${load.unlistedEgress} unlisted connections`);
    if (load.canaryHitsInFunctionLogs !== 0) failures.push(`load: ${load.canaryHitsInFunctionLogs} canary hits in function logs`);
  }
  if (elapsedMs >= BUDGET_MS) failures.push(`took ${Math.round(elapsedMs / 1000)} s, over the 10 minute budget`);

  if (write && failures.length === 0) {
    const block = [
      FIGURES_START,
      '',
      `Latest full run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} CPUs, ${Math.round(elapsedMs / 1000)} s in all.`,
      '',
      `**${headline}.**`,
      '',
      markdownTable(suiteRows),
      '',
      ...(differential ? [`Differential (gatepass vs jose, the same ${num(differential.propertyCases ?? 0)} mutated tokens):`, '', markdownTable(differentialRows(differential)), ''] : []),
      ...(load && loadRows
        ? [
            `Fault injection under load (${load.durationSeconds.toFixed(1)} s, local stack, 16 connections, loopback):`,
            '',
            markdownTable(loadRows),
            '',
            `- Valid requests: ${num(load.validRequests)}; refused while a fault lasted (never wrong, always with a code): \`${JSON.stringify(load.availabilityRefusals)}\`.`,
            `- Invalid-token requests: ${num(load.invalidRequests)}, every one refused: \`${JSON.stringify(load.invalidRefusals)}\`.`,
            `- Faults: ${load.faults.join('; ')}.`,
            `- What the functions logged about them: \`${JSON.stringify(load.functionLogEvents)}\`.`,
            `- Recovery: ${num(load.recovery.okInLast3s)} of ${num(load.recovery.validInLast3s)} valid requests in the run's last 3 s answered 200 (the faults ended at 12 s; the circuit breakers they opened stay open 30 s, then probe).`,
            `- ${num(load.subjectsSent)} distinct valid subjects sent, each for 6 requests spread among 40 others'. Token endpoint calls per unique key above 1: the first requests of a new subject reach several containers at once (single flight is per container, at most 4 here; the table then shares the token), DynamoDB came back empty, and refused attempts (the old secret after the rotation) count too.`,
            '',
          ]
        : []),
      FIGURES_END,
    ].join('\n');
    writeFileSync(securityFile, withSection(readFileSync(securityFile, 'utf8'), FIGURES_START, FIGURES_END, block));
    console.log('\nSECURITY.md updated with these figures.');
  }
  if (failures.length) {
    console.log(`\nFAILED: ${failures.join('; ')}`);
    return 1;
  }
  console.log('\nall figures as required');
  return 0;
}

process.exitCode = await main();
