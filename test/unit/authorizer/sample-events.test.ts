import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../functions/authorizer/authorizer-event.js';

const dir = new URL('../../../events/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.startsWith('authorizer.') && f.endsWith('.json'));

describe('sample authorizer events', () => {
  it('exist for every supported format', () => {
    const formats = new Set(files.map((f) => detectFormat(JSON.parse(readFileSync(new URL(f, dir), 'utf8')))));
    expect([...formats].sort()).toEqual(['http-v2', 'rest-request', 'rest-token']);
  });

  it.each(files)('%s is named <function>.<scenario>.json and parses as its format', (file) => {
    expect(file).toMatch(/^authorizer\.[a-z0-9-]+\.json$/);
    expect(() => detectFormat(JSON.parse(readFileSync(new URL(file, dir), 'utf8')))).not.toThrow();
  });
});
