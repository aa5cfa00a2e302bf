import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocalScript } from '../script-run.js';

/** `npm run mcp-client` without a stack or with a bad URL: one line on stderr, never a stack trace. */

let dir: string;

const mcpClient = (stateFile: string, ...args: string[]) => runLocalScript('mcp-client.ts', stateFile, ...args);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatepass-mcp-client-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run mcp-client', () => {
  it('says in one line that no stack is running when there is no state file', () => {
    const run = mcpClient(join(dir, 'absent.json'), 'http://127.0.0.1:4280/mcp');
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('no local stack is running')]);
  });

  it('refuses an argument that is not a URL with the usage and exit 2', () => {
    const run = mcpClient(join(dir, 'absent.json'), 'not-a-url');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('not a URL: not-a-url');
    expect(run.stderr).toContain('usage: npm run mcp-client');
  });
});
