import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocalScript } from '../script-run.js';

/**
 * `npm run invoke` as a user mistypes it: every mistake is one line on stderr that names
 * what is wrong and what to do, never a stack trace. No local stack is needed for these:
 * the event file is read before the stack is looked for.
 */

let dir: string;

const invoke = (...args: string[]) => runLocalScript('invoke.ts', join(dir, 'state.json'), ...args);

const lines = (text: string) => text.trim().split('\n');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatepass-invoke-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run invoke', () => {
  it('names a missing event file in one line and points at the sample events', () => {
    const missing = join(dir, 'no-such-event.json');
    const run = invoke('authorizer', missing);
    expect(run.status).toBe(1);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain(missing);
    expect(run.stderr).toContain('events/');
    expect(run.stdout).toBe('');
  });

  it('names an event file that is not JSON in one line', () => {
    const notJson = join(dir, 'event.json');
    writeFileSync(notJson, '# not an event\n');
    const run = invoke('exchange', notJson);
    expect(run.status).toBe(1);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain(notJson);
    expect(run.stderr).toContain('not JSON');
  });

  it('says in one line that no stack is running when the event is fine', () => {
    const run = invoke('authorizer', 'events/authorizer.http-api-v2.json');
    expect(run.status).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringContaining('no local stack is running')]);
  });

  it('refuses an unknown option with the usage on stderr and exit 2', () => {
    const run = invoke('authorizer', 'events/authorizer.http-api-v2.json', '--bogus');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--bogus');
    expect(run.stderr).toContain('usage: npm run invoke');
  });

  it.each([[['lambda', 'events/authorizer.http-api-v2.json']], [['authorizer']], [['authorizer', 'a.json', 'b.json']]])('refuses the arguments %j with what is wrong, the usage and exit 2', (args) => {
    const run = invoke(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('pass the function (authorizer or exchange) and one event file');
    expect(run.stderr).toContain('usage: npm run invoke');
    expect(run.stdout).toBe('');
  });

  it('prints the usage on stdout for --help and exits 0', () => {
    const run = invoke('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('usage: npm run invoke');
  });
});
