import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocalScript } from '../script-run.js';

/** `npm run token` with a state file it cannot use: one line on stderr, never a stack trace. */

let dir: string;

const token = (stateFile: string, ...args: string[]) => runLocalScript('token.ts', stateFile, ...args);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatepass-token-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run token', () => {
  it('says in one line that no stack is running when there is no state file', () => {
    const run = token(join(dir, 'absent.json'));
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('no local stack is running')]);
  });

  it('names a state file that is not JSON in one line and says what to do', () => {
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, 'garbage\n');
    const run = token(stateFile);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(stateFile);
    expect(run.stderr).toContain('npm start');
  });

  it('names a state file of another version in one line', () => {
    const stateFile = join(dir, 'state-v0.json');
    writeFileSync(stateFile, '{"version":0}\n');
    const run = token(stateFile);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(stateFile);
  });
});
