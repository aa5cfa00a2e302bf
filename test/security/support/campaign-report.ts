import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The security campaign's two profiles and its figures.
 *
 * - `fast` (default, inside `npm test`): every catalogue case, and a few thousand
 *   property-based cases.
 * - `full` (`npm run test:security` sets GATEPASS_SECURITY_PROFILE=full): the same
 *   catalogue, at least 100,000 property-based cases, and the load run.
 *
 * Each suite reports its figures with `reportFigures`; when GATEPASS_SECURITY_REPORT names
 * a directory (the campaign script sets it) they are appended there as JSON lines, which
 * test/security/run-campaign.ts sums into the table it prints and writes into SECURITY.md.
 */

export type SecurityProfile = 'fast' | 'full';

const SECURITY_PROFILE: SecurityProfile = process.env['GATEPASS_SECURITY_PROFILE'] === 'full' ? 'full' : 'fast';

/** Runs for a property: `fast` in npm test, `full` in the campaign. */
export function runsFor(fast: number, full: number): number {
  return SECURITY_PROFILE === 'full' ? full : fast;
}

/** One suite's figures. Counts add up across suites; `details` are kept as they are. */
export interface SuiteFigures {
  readonly suite: string;
  /** Catalogue cases executed (fixed attack vectors). */
  readonly catalogueCases?: number;
  /** Property-based cases executed. */
  readonly propertyCases?: number;
  /** An allow (or a 2xx with a forwarded token) where the expected outcome was a refusal. */
  readonly wrongAllows: number;
  /** A 5xx where the expected outcome was not that 5xx (every caller mistake must be 4xx). */
  readonly unexpected5xx: number;
  /** TCP connections to anything the configuration does not list. */
  readonly unlistedEgress: number;
  /** Occurrences of a canary token or secret, in any encoding, in any log output. */
  readonly canaryHits: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

export function reportFigures(figures: SuiteFigures): void {
  const dir = process.env['GATEPASS_SECURITY_REPORT'];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'figures.jsonl'), `${JSON.stringify({ ...figures, profile: SECURITY_PROFILE })}\n`);
}
