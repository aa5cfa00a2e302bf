import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_STATE_FILE_ENV } from '../../../functions/shared/contracts/environment-variables.js';
import { REPOSITORY_ROOT } from '../../../scripts/local/local-state.js';

/** How the repository's scripts are run in these tests: as a user runs them, from the repository root. */

export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when it outlived its limit (it started a real run) and was killed. */
  readonly killed: boolean;
}

/** `command args` with `env` added to this process's, in its own process group, killed whole if it outlives `limitMs`. */
export function runScript(command: string, args: readonly string[], options: { readonly env?: Readonly<Record<string, string>>; readonly limitMs: number }): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPOSITORY_ROOT, env: { ...process.env, ...options.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      killed = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, options.limitMs);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, killed });
    });
  });
}

/** `scripts/local/<script>` as its npm script runs it (tsx), finding the local stack through `stateFile`. */
export function runLocalScript(script: string, stateFile: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'scripts/local', script), ...args], {
    cwd: REPOSITORY_ROOT,
    encoding: 'utf8',
    env: { ...process.env, [LOCAL_STATE_FILE_ENV]: stateFile },
    timeout: 15_000,
  });
}

/** A file's content hash and mtime (so that a rewrite with the same content shows), or `absent`. */
export function fileFingerprint(file: string): string {
  try {
    return `${createHash('sha256').update(readFileSync(file)).digest('hex')} ${statSync(file).mtimeMs}`;
  } catch {
    return 'absent';
  }
}
