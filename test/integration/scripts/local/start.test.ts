import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_STATE_FILE_ENV } from '../../../../functions/shared/contracts/environment-variables.js';
import { REPOSITORY_ROOT } from '../../../../scripts/local/local-state.js';
import { fileFingerprint, runScript } from '../script-run.js';

/**
 * A second `npm start` whose port is taken (by a running stack, here by a bare listener)
 * leaves the first stack's folder alone: it checks its ports before it writes the
 * configuration, builds the bundles or opens the logs, and exits with one line.
 */

let dir: string;
let occupant: Server;
let takenPort: number;

/** A running stack's folder: every file with an mtime in the past, so that a rewrite shows. */
function populate(): void {
  const files: Record<string, string> = {
    'gatepass.config.json': '{"the":"running stack\'s configuration"}\n',
    'build/authorizer/index.mjs': 'export const handler = async () => ({});\n',
    'build/exchange/index.mjs': 'export const handler = async () => ({});\n',
    'logs/authorizer.log': '{"message":"authorizer.decision"}\n',
    'logs/exchange.log': '{"message":"exchange.decision"}\n',
    'logs/stack.log': 'the running stack\n',
    'state.json': '{"version":1,"pid":1}\n',
  };
  const past = new Date('2024-01-01T00:00:00Z');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
    utimesSync(join(dir, path), past, past);
  }
}

/** Every file below `dir`: its content hash and mtime. */
function snapshot(): Record<string, string> {
  const entries: [string, string][] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else entries.push([relative(dir, path), fileFingerprint(path)]);
    }
  };
  walk(dir);
  return Object.fromEntries(entries.sort());
}

/** `npm start` on this folder, killed if it came up after all: it must not outlive the test. */
const npmStart = (...args: string[]) =>
  runScript(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'scripts/local/start.ts'), '--dir', dir, ...args], {
    env: { [LOCAL_STATE_FILE_ENV]: join(dir, 'state.json') },
    limitMs: 60_000,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatepass-second-start-'));
  populate();
  occupant = createServer();
  await new Promise<void>((resolve) => occupant.listen(0, '127.0.0.1', resolve));
  takenPort = (occupant.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => occupant.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('a second npm start on a port in use', () => {
  it.each([
    ['gateway', '--port'],
    ['control', '--control-port'],
  ])('exits with one line naming the %s port and leaves the folder untouched', async (_which, option) => {
    const before = snapshot();
    const run = await npmStart(option, String(takenPort));
    expect(run.killed).toBe(false);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(`port ${takenPort} is in use`)]);
    expect(run.stderr).toContain(option);
    expect(snapshot()).toEqual(before);
  }, 70_000);
});
