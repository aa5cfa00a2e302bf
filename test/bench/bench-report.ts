/**
 * The bench's output: the targets of issue #14 checked against the figures, a plain-text
 * table for stdout, and the JSON document written to test/bench/results/latest.json.
 */
import { round } from './bench-stats.js';

export interface TargetCheck {
  readonly id: string;
  readonly what: string;
  readonly target: string;
  /** The figure the target is judged on (as deployed: real telemetry, real bundle). */
  readonly measured: string;
  readonly met: boolean | null;
  /** Context: e.g. the same figure without telemetry output. */
  readonly context?: string;
}

export interface Row {
  readonly label: string;
  readonly cells: readonly string[];
}

export interface Section {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly Row[];
  readonly notes?: readonly string[];
}

export const fmt = {
  us: (value: number | null | undefined): string => (value === null || value === undefined || !Number.isFinite(value) ? '—' : `${round(value)}`),
  ms: (value: number | null | undefined): string => (value === null || value === undefined || !Number.isFinite(value) ? '—' : `${round(value)}`),
  ratio: (value: number | null | undefined): string => (value === null || value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(2)}×`),
  kb: (bytes: number): string => `${(bytes / 1024).toFixed(1)}`,
  int: (value: number): string => `${Math.round(value)}`,
};

const NUMERIC = /^[-\d.,—]+ ?(×|%|µs|ms|KB)?$/;

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** One section as an aligned plain-text table: figures right-aligned, words left-aligned. */
export function renderSection(section: Section): string {
  const columns = [section.header, ...section.rows.map((row) => [row.label, ...row.cells])];
  const widths = section.header.map((_, c) => Math.max(...columns.map((line) => (line[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => pad(cell, widths[c]!, c > 0 && NUMERIC.test(cell)))
      .join('  ')
      .trimEnd();
  const out = [`${section.title}`, line(section.header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of section.rows) out.push(line([row.label, ...row.cells]));
  for (const note of section.notes ?? []) out.push(`  * ${note}`);
  return out.join('\n');
}

export function renderTargets(targets: readonly TargetCheck[]): string {
  const section: Section = {
    title: 'Targets (issue #14), judged on the as-deployed figure',
    header: ['target', 'wanted', 'measured', 'met', 'context'],
    rows: targets.map((t) => ({ label: t.what, cells: [t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO', t.context ?? ''] })),
  };
  return renderSection(section);
}
