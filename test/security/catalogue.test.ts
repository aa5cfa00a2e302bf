import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorCatalog, ErrorCode } from '../../functions/shared/errors.js';
import { catalogueMarkdown, CATALOGUE_END, CATALOGUE_START, triageMarkdown, TRIAGE_END, TRIAGE_START } from './catalogue-markdown.js';
import { authorizerExecutors } from './executors/authorizer-executors.js';
import { exchangeExecutors } from './executors/exchange-executors.js';
import { logExecutors } from './executors/log-executors.js';
import { threatCatalogue } from './threat-catalogue.js';

/**
 * The catalogue and its executors cannot drift apart: every automated id has exactly one
 * executor, every executor belongs to an automated id, and SECURITY.md lists the catalogue
 * exactly as it is generated.
 */

const executorIds = [...Object.keys(authorizerExecutors), ...Object.keys(exchangeExecutors), ...Object.keys(logExecutors)];
const automated = threatCatalogue.filter((t) => t.automated === true).map((t) => t.id);

describe('the threat catalogue', () => {
  it('has unique, well-formed ids', () => {
    const ids = threatCatalogue.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(AUTHZ|EXCH)-[A-Z]+-\d{3}$|^(LOG|OOS)-\d{3}$/);
  });

  it('gives every case a threat, a reference and an outcome that exists', () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    for (const t of threatCatalogue) {
      expect(t.threat.length, t.id).toBeGreaterThan(10);
      expect(t.reference.length, t.id).toBeGreaterThan(3);
      if (t.expected.kind === 'refuse') {
        expect(codes.has(t.expected.code), t.id).toBe(true);
        expect(t.expected.status, t.id).toBe(errorCatalog[t.expected.code].status);
      }
      if (t.automated !== true) expect(t.automated.reason.length, t.id).toBeGreaterThan(20);
    }
  });

  it('has an executor for every automated case, and no executor without one', () => {
    expect(new Set(executorIds).size).toBe(executorIds.length);
    expect([...executorIds].sort()).toEqual([...automated].sort());
  });

  it('runs each area in its own suite', () => {
    expect(Object.keys(authorizerExecutors).every((id) => id.startsWith('AUTHZ-'))).toBe(true);
    expect(Object.keys(exchangeExecutors).every((id) => id.startsWith('EXCH-') || id.startsWith('AUTHZ-CACHE-'))).toBe(true);
    expect(Object.keys(logExecutors).every((id) => id.startsWith('LOG-'))).toBe(true);
  });

  it('covers every family the issue names with automated cases', () => {
    const families = new Set(threatCatalogue.filter((t) => t.automated === true).map((t) => t.family));
    expect(families.size).toBeGreaterThanOrEqual(25);
  });

  const document = () => readFileSync(fileURLToPath(new URL('../../SECURITY.md', import.meta.url)), 'utf8');
  const section = (text: string, start: string, end: string) => text.slice(text.indexOf(start), text.indexOf(end) + end.length);

  it('is listed in SECURITY.md exactly as generated', () => {
    const text = document();
    expect(text.indexOf(CATALOGUE_START), 'SECURITY.md has no catalogue section: run npm run test:security').toBeGreaterThan(-1);
    expect(section(text, CATALOGUE_START, CATALOGUE_END), 'SECURITY.md lists an old catalogue: run npm run test:security').toBe(catalogueMarkdown());
  });

  it('has its differential triage listed in SECURITY.md exactly as generated', () => {
    const text = document();
    expect(text.indexOf(TRIAGE_START), 'SECURITY.md has no triage section: run npm run test:security').toBeGreaterThan(-1);
    expect(section(text, TRIAGE_START, TRIAGE_END), 'SECURITY.md lists an old triage: run npm run test:security').toBe(triageMarkdown());
  });
});
