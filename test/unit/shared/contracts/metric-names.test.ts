import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MetricName } from '../../../../functions/shared/contracts/metric-names.js';

const FUNCTIONS = fileURLToPath(new URL('../../../../functions', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('metric names: one list', () => {
  it('names every metric after itself, with no name twice', () => {
    for (const [key, name] of Object.entries(MetricName)) expect(name).toBe(key);
    expect(new Set(Object.values(MetricName)).size).toBe(Object.values(MetricName).length);
  });

  it('is where every metric the functions emit is named: no metric sink call takes a string literal', () => {
    const literalCalls = sourceFiles(FUNCTIONS).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\.(count|timing)\(\s*['"`]([^'"`]+)/g)].map((match) => `${file.slice(FUNCTIONS.length)}: ${match[2]}`),
    );
    expect(literalCalls).toEqual([]);
  });
});
