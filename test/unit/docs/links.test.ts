import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { GatepassConfigSchema } from '../../../functions/shared/config/config-schema.js';
import { validateConfig } from '../../../functions/shared/config/config-validator.js';

/**
 * The manual inside the repository stays whole: every relative link resolves, every page
 * the README promises exists, code comments cite sections that exist, and nothing points at
 * the team's notes outside the repository.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The pages README.md maps; code comments cite docs/design.md by section. */
const PAGES = [
  'README.md',
  'SECURITY.md',
  'CHANGELOG.md',
  'LICENSE',
  'events/README.md',
  'docs/design.md',
  'docs/configuration.md',
  'docs/providers/README.md',
  'docs/deploy.md',
  'docs/operations.md',
  'docs/security-model.md',
  'docs/performance.md',
  'docs/local-development.md',
];
const README_MAX_LINES = 300;

// Built from parts, so that this file does not itself match the searches it makes.
const OUTSIDE_NOTES = new RegExp(['(DESIGN', 'TOOLING', 'STYLE)'].join('|') + '\\.md');
const SHARED_NOTES_DIR = ['..', 'shared'].join('/');
const SHARED_NOTES_PATH = ['work', 'shared'].join('/');

/** Tracked files (a clean clone is what CI checks), plus the pages above while they are new. */
function trackedFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  return [...new Set([...listed, ...PAGES])].filter((file) => existsSync(join(root, file)));
}

const read = (file: string): string => readFileSync(join(root, file), 'utf8');

/** The text of a Markdown file without fenced code blocks (their lines become empty, so line numbers hold). */
function withoutCodeFences(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return '';
    }
    return line;
  });
}

/** GitHub's heading anchor: lower case, punctuation dropped (`-` and `_` kept), spaces to `-`. */
function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/<[^>]*>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every heading's anchor in a Markdown file, with GitHub's `-1`, `-2` suffixes for repeats. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = headingSlug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The headings' own text, for section citations such as `docs/design.md "Cache"`. */
function headingsOf(markdown: string): Set<string> {
  const headings = new Set<string>();
  for (const line of withoutCodeFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) headings.add(heading.replace(/`/g, ''));
  }
  return headings;
}

interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** Inline links, images and reference definitions outside code; URLs with a scheme are left out. */
function relativeLinksOf(file: string, markdown: string): Link[] {
  const links: Link[] = [];
  withoutCodeFences(markdown).forEach((raw, index) => {
    const line = raw.replace(/`[^`]*`/g, '');
    const targets = [
      ...[...line.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
      ...[...line.matchAll(/^\s{0,3}\[[^\]]+\]:\s+(\S+)/g)].map((m) => m[1]!),
    ];
    for (const found of targets) {
      const target = found.replace(/^<|>$/g, '');
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ file, line: index + 1, target });
    }
  });
  return links;
}

/** Why a link does not resolve, or undefined when it does. */
function brokenReason(link: Link): string | undefined {
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const path = decodeURIComponent(pathPart);
  const destination = path === '' ? join(root, link.file) : resolve(root, dirname(link.file), path);
  const inside = relative(root, destination);
  if (inside.startsWith('..')) return 'points outside the repository';
  if (!existsSync(destination)) return 'no such file';
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(destination).isDirectory() || !destination.endsWith('.md')) return 'an anchor on a file that is not Markdown';
  if (!anchorsOf(readFileSync(destination, 'utf8')).has(anchor)) return `no heading with the anchor #${anchor}`;
  return undefined;
}

describe('the manual inside the repository', () => {
  const files = trackedFiles();
  const markdown = files.filter((file) => file.endsWith('.md'));

  it('has every page the README maps', () => {
    const missing = PAGES.filter((page) => !existsSync(join(root, page)));
    expect(missing).toEqual([]);
  });

  it(`keeps README.md at ${README_MAX_LINES} lines or fewer`, () => {
    const lines = read('README.md').replace(/\n$/, '').split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('resolves every relative link in every Markdown file, anchors included', () => {
    const broken = markdown
      .flatMap((file) => relativeLinksOf(file, read(file)))
      .flatMap((link) => {
        const reason = brokenReason(link);
        return reason === undefined ? [] : [`${link.file}:${link.line} ${link.target}: ${reason}`];
      });
    expect(broken).toEqual([]);
  });

  it('cites no document outside the repository', () => {
    const textFiles = files.filter((file) => /\.(ts|mts|js|mjs|json|md|sh|ya?ml)$/.test(file) || file.startsWith('.ci/'));
    const citing = textFiles.flatMap((file) => {
      const text = read(file);
      const hits: string[] = [];
      if (OUTSIDE_NOTES.test(text)) hits.push(`${file}: names a design, tooling or style note`);
      if (text.includes(SHARED_NOTES_PATH)) hits.push(`${file}: names the shared notes folder`);
      // In code `../shared/` is an import path; only a document can mean the notes by it.
      if (file.endsWith('.md') && text.includes(SHARED_NOTES_DIR)) hits.push(`${file}: points at ${SHARED_NOTES_DIR}`);
      return hits;
    });
    expect(citing).toEqual([]);
  });

  it('has a heading for every section a file cites as docs/<page>.md "Section"', () => {
    const missing = files
      .filter((file) => /\.(ts|mts|js|mjs|md)$/.test(file))
      .flatMap((file) =>
        [...read(file).matchAll(/(docs\/[a-z0-9-]+\.md) "([^"]+)"/g)].flatMap(([, page, section]) => {
          if (!existsSync(join(root, page!))) return [`${file}: ${page} does not exist`];
          return headingsOf(read(page!)).has(section!) ? [] : [`${file}: ${page} has no section "${section}"`];
        }),
      );
    expect(missing).toEqual([]);
  });

  it('finds the anchors GitHub gives headings', () => {
    expect(headingSlug('routes[].exchange')).toBe('routesexchange');
    expect(headingSlug('Tokens: npm run token')).toBe('tokens-npm-run-token');
    expect(headingSlug('[0.1.0] - 2026-11-22')).toBe('010---2026-11-22');
    expect(headingSlug('`settings.exchange` reference')).toBe('settingsexchange-reference');
    expect([...anchorsOf('# A\n```\n# not a heading\n```\n## A\n')]).toEqual(['a', 'a-1']);
  });
});

describe('the configuration reference', () => {
  const reference = read('docs/configuration.md');

  it('documents every settings field with its default and range, as the schema has them', () => {
    const settings = (GatepassConfigSchema.entries.settings as unknown as { wrapped: ObjectSchema }).wrapped;
    const rows = settingsFields(settings, '');
    expect(rows.length).toBeGreaterThan(20);
    const undocumented = rows.flatMap(({ path, fallback, min, max }) => {
      const row = reference.split('\n').find((line) => line.startsWith(`| \`${path}\` |`));
      if (row === undefined) return [`settings.${path}: no row`];
      const cells = row.split('|').map((cell) => cell.trim());
      return cells[2] === `\`${fallback}\`` && cells[3] === `${min}–${max}` ? [] : [`settings.${path}: row says ${cells[2]} ${cells[3]}`];
    });
    expect(undocumented).toEqual([]);
  });

  it('shows a README configuration example that the schema accepts', () => {
    const blocks = [...read('README.md').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const example = blocks.find((block) => block.includes('"version": 1'));
    expect(example).toBeDefined();
    const result = validateConfig(JSON.parse(example!));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});

type ObjectSchema = { readonly entries: Record<string, v.GenericSchema> };
interface SettingRow {
  readonly path: string;
  readonly fallback: unknown;
  readonly min: number;
  readonly max: number;
}

/** Every integer tunable under `settings`, with its default and bounds, read from the schema itself. */
function settingsFields(schema: ObjectSchema, prefix: string): SettingRow[] {
  return Object.entries(schema.entries).flatMap(([key, entry]) => {
    const path = `${prefix}${key}`;
    const optional = entry as unknown as { wrapped: unknown; default: unknown };
    const inner = optional.wrapped as Partial<ObjectSchema> & { pipe?: readonly { type: string; requirement?: unknown }[] };
    if (inner.entries) return settingsFields(inner as ObjectSchema, `${path}.`);
    const bound = (type: string) => inner.pipe?.find((action) => action.type === type)?.requirement as number;
    return [{ path, fallback: optional.default, min: bound('min_value'), max: bound('max_value') }];
  });
}
