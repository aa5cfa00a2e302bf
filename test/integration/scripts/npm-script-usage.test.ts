import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../../scripts/local/local-state.js';

/**
 * `--help` on the npm scripts that do long work or write files prints the usage and exits 0
 * before doing anything; an unknown option prints the usage on stderr and exits 2, no run.
 * Before, `npm run bench -- --help` and `npm run test:security -- --help` started full runs
 * that rewrite tracked files.
 */

/** What each script writes when it runs: none of these may change. */
const WRITTEN = ['SECURITY.md', 'test/bench/results/latest.json', 'cdk.out/manifest.json'];

function snapshot(): Record<string, string> {
  return Object.fromEntries(
    WRITTEN.map((path) => {
      const file = join(REPOSITORY_ROOT, path);
      try {
        return [path, `${createHash('sha256').update(readFileSync(file)).digest('hex')} ${statSync(file).mtimeMs}`];
      } catch {
        return [path, 'absent'];
      }
    }),
  );
}

interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly killed: boolean;
}

/** `npm run -s <script> -- <args>` in its own process group, killed whole if it outlives `limitMs` (it started a real run). */
function npmRun(script: string, args: readonly string[], limitMs = 15_000): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', script, '--', ...args], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      killed = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, limitMs);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, killed });
    });
  });
}

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
