import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../../scripts/local/local-state.js';
import { fileFingerprint, runScript } from './script-run.js';

/**
 * `--help` on the npm scripts that do long work or write files prints the usage and exits 0
 * before doing anything; an unknown option prints the usage on stderr and exits 2, no run.
 * Before, `npm run bench -- --help` and `npm run test:security -- --help` started full runs
 * that rewrite tracked files.
 */

/** What each script writes when it runs: none of these may change. */
const WRITTEN = ['SECURITY.md', 'test/bench/results/latest.json', 'cdk.out/manifest.json'];

function snapshot(): Record<string, string> {
  return Object.fromEntries(WRITTEN.map((path) => [path, fileFingerprint(join(REPOSITORY_ROOT, path))]));
}

/** `npm run -s <script> -- <args>`, killed if it outlives `limitMs` (it started a real run). */
const npmRun = (script: string, args: readonly string[], limitMs = 15_000) =>
  runScript('npm', ['run', '-s', script, '--', ...args], { env: { CDK_DISABLE_VERSION_CHECK: '1' }, limitMs });

const SCRIPTS = ['config:check', 'bench', 'test:security', 'synth', 'mcp-client'];

describe.each(SCRIPTS)('npm run %s', (script) => {
  it('prints its usage on stdout for --help and exits 0, writing nothing', async () => {
    const before = snapshot();
    const run = await npmRun(script, ['--help']);
    expect(run.killed).toBe(false);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^usage: npm run ${script}\\b`));
    expect(snapshot()).toEqual(before);
  }, 20_000);

  it('refuses an unknown option with the usage on stderr and exit 2, writing nothing', async () => {
    const before = snapshot();
    const run = await npmRun(script, ['--no-such-option']);
    expect(run.killed).toBe(false);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--no-such-option');
    expect(run.stderr).toContain(`usage: npm run ${script}`);
    expect(snapshot()).toEqual(before);
  }, 20_000);
});
