import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_STATE_FILE_ENV } from '../../functions/shared/contracts/environment-variables.js';
import { REPOSITORY_ROOT } from '../../scripts/local/local-state.js';
import { DEMO } from '../../scripts/local/demo-config.js';
import { walkthroughSteps } from '../../scripts/local/walkthrough.js';
import { descendants, isAlive } from '../support/local-stack-harness.js';

/**
 * `npm start` as a user runs it: the printed walkthrough's commands are pasted into bash
 * (npm run token, curl) and must answer with the printed statuses; `npm run invoke` works
 * against it from "a second terminal"; Ctrl-C (SIGINT to the process group) stops every
 * process it started.
 */

const run = promisify(execFile);

interface PrintedStep {
  readonly title: string;
  readonly commands: string[];
  readonly status: number;
}

let dir: string;
let env: NodeJS.ProcessEnv;
let npmStart: ChildProcess;
let stdout = '';

function printedSteps(text: string): PrintedStep[] {
  const walkthrough = text.slice(text.indexOf('Walkthrough:'));
  return walkthrough
    .split(/\n\s*\n/)
    .filter((block) => /^\d+\. /.test(block.trim()))
    .map((block) => {
      const lines = block.trim().split('\n');
      const arrow = lines.find((line) => line.trimStart().startsWith('→'));
      return {
        title: lines[0]!.replace(/^\d+\. /, ''),
        commands: lines.filter((line) => /^ {3}[^ →]/.test(line)).map((line) => line.trim()),
        status: Number(/→ (\d{3})/.exec(arrow ?? '')?.[1]),
      };
    });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatepass-npm-start-'));
  env = { ...process.env, [LOCAL_STATE_FILE_ENV]: join(dir, 'state.json') };
  // its own process group, so that a SIGINT reaches the group as a terminal's Ctrl-C does
  npmStart = spawn('npm', ['start', '--', '--port', '0', '--dir', dir], { cwd: REPOSITORY_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  npmStart.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  npmStart.stderr!.resume();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up in 30 s:\n${stdout}`)), 30_000);
    const check = () => {
      if (stdout.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve();
      }
    };
    npmStart.stdout!.on('data', check);
    npmStart.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${stdout}`)));
  });
}, 40_000);

afterAll(() => {
  if (npmStart.exitCode === null && npmStart.signalCode === null) process.kill(-npmStart.pid!, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('comes up in under 15 s and prints every walkthrough step with the status it expects', () => {
    const seconds = Number(/is up in ([\d.]+) s/.exec(stdout)?.[1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(15);
    const steps = printedSteps(stdout);
    const expected = walkthroughSteps('http');
    expect(steps.map((s) => s.title)).toEqual(expected.map((s) => s.title));
    expect(steps.map((s) => s.status)).toEqual(expected.map((s) => s.expectedStatus));
    expect(stdout).not.toContain('!!');
  });

  it("shows the Entra-style On-Behalf-Of step: 200, and the upstream got the tenant's token for the orders API, not the caller's", () => {
    const step = printedSteps(stdout).find((s) => s.title.startsWith('Entra-style On-Behalf-Of'));
    expect(step?.status).toBe(200);
    expect(step?.commands[0]).toBe(`TOKEN=$(npm run -s token -- --issuer entra --scope ${DEMO.entra.callerScope})`);
    const arrow = stdout.split('\n').find((line) => line.includes('upstream got an Entra tenant token'));
    expect(arrow).toContain(`aud=${DEMO.entra.ordersAppId} scp="Orders.Read" oid=${DEMO.entra.user.oid} azp=${DEMO.entra.gatewayAppId}`);
    expect(stdout).toMatch(/Entra tenant +http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/v2\.0 /);
    expect(stdout).toMatch(/MCP server +http:\/\/127\.0\.0\.1:\d+\/mcp +an MCP server built with @modelcontextprotocol\/sdk/);
  });

  it('answers each printed command sequence, run in bash with curl, with the printed status', async () => {
    const observed: { title: string; status: number }[] = [];
    for (const step of printedSteps(stdout)) {
      const { stdout: output } = await run('bash', ['-c', `set -e\n${step.commands.join('\n')}`], { cwd: REPOSITORY_ROOT, env, timeout: 30_000 });
      // curl -i prints the status line; npm run mcp-client prints each exchange, its tools/call's status the step's.
      const status = /^HTTP\/1\.1 (\d{3})/m.exec(output)?.[1] ?? /→ (\d{3}) {2}\(tools\/call\)/.exec(output)?.[1];
      observed.push({ title: step.title, status: Number(status) });
    }
    expect(observed).toEqual(printedSteps(stdout).map(({ title, status }) => ({ title, status })));
  }, 90_000);

  it('shows the MCP challenge, the metadata, and the SDK client listing tools with an exchanged token reaching the MCP server', async () => {
    const block = (id: string) => printedSteps(stdout)[walkthroughSteps('http').findIndex((s) => s.id === id)]!;
    expect(block('mcp-challenge').status).toBe(401);
    expect(stdout).toMatch(/www-authenticate: Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    expect(stdout).toMatch(/"authorization_servers":\["http:\/\/127\.0\.0\.1:\d+"\]/);
    expect(stdout).toMatch(/tools listed: whoami, server_time; whoami: the MCP server got a corporate AS token: sub=mcp-client aud=mcp-tools-server/);
    const { stdout: output } = await run('bash', ['-c', block('mcp-client').commands.join('\n')], { cwd: REPOSITORY_ROOT, env, timeout: 30_000 });
    expect(output).toContain('tools listed: whoami, server_time');
    expect(output).toMatch(/whoami → \{"iss":"http:\/\/127\.0\.0\.1:\d+","aud":"mcp-tools-server","sub":"mcp-client"/);
  }, 40_000);

  it('lets npm run invoke run a sample event against it with fresh tokens', async () => {
    const { stdout: output } = await run('npm', ['run', '-s', 'invoke', '--', 'authorizer', 'events/authorizer.http-api-v2.json', '--quiet'], { cwd: REPOSITORY_ROOT, env, timeout: 30_000 });
    expect(JSON.parse(output)).toMatchObject({ isAuthorized: true, context: { route: 'orders-read', action: 'exchange', issuer: 'partner' } });
  }, 40_000);

  it('stops every process it started on Ctrl-C and removes its state file', async () => {
    const processes = await descendants(npmStart.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(4); // sh, node, and the two function containers
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
    const exited = new Promise<void>((resolve) => npmStart.once('exit', () => resolve()));
    process.kill(-npmStart.pid!, 'SIGINT');
    await exited;
    // npm itself may die of the SIGINT; the stack's own process finishes its cleanup and says so
    await expect.poll(() => stdout, { timeout: 10_000 }).toContain('stopped.');
    await expect.poll(() => processes.filter(isAlive), { timeout: 5000 }).toEqual([]);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  }, 20_000);
});
