import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoUpstream, type EchoUpstream } from '../../fakes/echo-upstream.js';
import { startOAuthServer, type OAuthServer } from '../../fakes/oauth-server/oauth-server.js';
import { REPOSITORY_ROOT } from '../../scripts/local/local-state.js';
import { reservePort } from '../../scripts/local/port-reservation.js';
import { descendants, isAlive } from '../support/local-stack-harness.js';

/**
 * `npm start -- --config FILE --secrets FILE --port 0` as a user runs it, with their own
 * configuration: an authorization server and an upstream of their own (here, the fakes on
 * loopback), a route that exchanges with a client secret only the secrets file holds, and a
 * route that passes through. Bad input ends with one clear message and a non-zero exit.
 */

const run = promisify(execFile);

let dir: string;
let as: OAuthServer;
let upstream: EchoUpstream;
let npmStart: ChildProcess;
let stdout = '';
/** The gateway's port, picked free before start: an MCP route's resource names it. */
let port: number;
const gatewaySecret = 'gatepass-client-secret-from-the-secrets-file';
const appSecret = 'app-secret';

function userConfig(): object {
  return {
    version: 1,
    insecureLoopbackHttp: true,
    issuers: { mine: { issuer: as.issuer, jwksUri: as.jwksUri, audiences: ['api'] } },
    authorizationServers: { mine: { issuer: as.issuer, tokenEndpoint: as.tokenEndpoint, clientAuth: 'client_secret_basic', clientSecretId: 'my/exchange-client' } },
    routes: [
      {
        id: 'items',
        method: 'GET',
        path: '/items/{id}',
        upstream: upstream.url,
        acceptedIssuers: ['mine'],
        exchange: { authorizationServer: 'mine', audience: ['backend'], sameIssuerWhen: {} },
      },
      { id: 'ping', method: 'GET', path: '/ping', upstream: upstream.url, acceptedIssuers: ['mine'] },
      { id: 'tools', method: 'ANY', path: '/tools', upstream: upstream.url, acceptedIssuers: ['mine'], mcp: { resource: `http://127.0.0.1:${port}/tools` } },
    ],
  };
}

async function appToken(): Promise<string> {
  const response = await fetch(as.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`app:${appSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://api.test' }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** `npm start` with these arguments, to its exit: status and output. */
async function npmStartFails(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const { stdout: out, stderr } = await run('npm', ['start', '--', ...args, '--port', '0', '--dir', join(dir, 'failing')], { cwd: REPOSITORY_ROOT, timeout: 30_000 });
    return { code: 0, stderr, stdout: out };
  } catch (error) {
    const failed = error as { code: number; stderr: string; stdout: string };
    return { code: failed.code, stderr: failed.stderr, stdout: failed.stdout };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatepass-npm-start-config-'));
  const free = await reservePort(0, 'gateway');
  port = free.port;
  await free.release();
  upstream = await startEchoUpstream();
  as = await startOAuthServer({
    clients: [
      { clientId: 'app', auth: 'client_secret_basic', clientSecret: appSecret },
      { clientId: 'gatepass', auth: 'client_secret_basic', clientSecret: gatewaySecret },
    ],
    resourceServers: [
      { identifier: 'https://api.test', audience: 'api', scopes: ['read'] },
      { identifier: 'https://backend.test', audience: 'backend', scopes: ['read'] },
    ],
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(userConfig()));
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ 'my/exchange-client': { client_id: 'gatepass', client_secret: gatewaySecret } }));
  npmStart = spawn('npm', ['start', '--', '--config', join(dir, 'config.json'), '--secrets', join(dir, 'secrets.json'), '--port', String(port), '--dir', join(dir, 'stack')], {
    cwd: REPOSITORY_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  npmStart.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  npmStart.stderr!.resume();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start --config did not come up in 30 s:\n${stdout}`)), 30_000);
    npmStart.stdout!.on('data', () => {
      if (stdout.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve();
      }
    });
    npmStart.once('exit', (code) => reject(new Error(`npm start --config exited with ${code}:\n${stdout}`)));
  });
}, 40_000);

afterAll(async () => {
  if (npmStart && npmStart.exitCode === null && npmStart.signalCode === null) process.kill(-npmStart.pid!, 'SIGKILL');
  await Promise.all([as?.stop(), upstream?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const gatewayUrl = () => /^gateway {2}(http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1];

describe('npm start --config', () => {
  it('prints the gateway URL on a line of its own, and the routes of the configuration, without the demo', () => {
    expect(gatewayUrl()).toBe(`http://127.0.0.1:${port}`);
    expect(stdout).toContain('GET /items/{id}');
    expect(stdout).toMatch(/GET \/\.well-known\/oauth-protected-resource\/tools +route tools, public/);
    expect(stdout).not.toContain('Walkthrough');
    expect(stdout).not.toContain('partner IdP');
    expect(stdout).toContain('generated cache key');
  });

  it("exchanges with the client secret only the secrets file holds, and passes another route's token through", async () => {
    const token = await appToken();
    const exchanged = await fetch(`${gatewayUrl()}/items/7`, { headers: { authorization: `Bearer ${token}` } });
    expect(exchanged.status).toBe(200);
    expect(upstream.requests.at(-1)?.claims).toMatchObject({ iss: as.issuer, aud: 'backend', sub: 'app' });
    expect(as.tokenRequests.at(-1)).toMatchObject({ clientId: 'gatepass', outcome: 'success' });
    const passed = await fetch(`${gatewayUrl()}/ping`, { headers: { authorization: `Bearer ${token}` } });
    expect(passed.status).toBe(200);
    expect(upstream.requests.at(-1)?.headers['authorization']).toEqual([`Bearer ${token}`]);
    expect((await fetch(`${gatewayUrl()}/ping`)).status).toBe(401);
  });

  it("serves an MCP route's metadata and challenge from the configuration, with no authorizer", async () => {
    const metadata = await fetch(`${gatewayUrl()}/.well-known/oauth-protected-resource/tools`);
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({ resource: `http://127.0.0.1:${port}/tools`, authorization_servers: [as.issuer] });
    const refused = await fetch(`${gatewayUrl()}/tools`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain(`resource_metadata="http://127.0.0.1:${port}/.well-known/oauth-protected-resource/tools"`);
  });

  it('stops every process it started on Ctrl-C', async () => {
    const processes = await descendants(npmStart.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(4); // sh, node, and the two function containers
    const exited = new Promise<void>((resolve) => npmStart.once('exit', () => resolve()));
    process.kill(-npmStart.pid!, 'SIGINT');
    await exited;
    await expect.poll(() => stdout, { timeout: 10_000 }).toContain('stopped.');
    await expect.poll(() => processes.filter(isAlive), { timeout: 5000 }).toEqual([]);
  }, 20_000);
});

describe('npm start --config with bad input', () => {
  const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

  it('names a missing configuration file and exits 1', async () => {
    const result = await npmStartFails(['--config', join(dir, 'nowhere.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot read');
    expect(result.stderr).toContain('nowhere.json');
    noStackTrace(result.stderr);
  }, 40_000);

  it('says a configuration file is not JSON, and lists every invalid field by its path', async () => {
    writeFileSync(join(dir, 'broken.json'), '{ "version": 1,');
    const broken = await npmStartFails(['--config', join(dir, 'broken.json')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('not valid JSON');
    noStackTrace(broken.stderr);

    const config = userConfig() as { routes: Record<string, unknown>[] };
    writeFileSync(join(dir, 'invalid.json'), JSON.stringify({ ...config, routes: [{ ...config.routes[0], upstream: 'not a url', acceptedIssuers: ['nobody'] }] }));
    const invalid = await npmStartFails(['--config', join(dir, 'invalid.json')]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('routes[0].upstream');
    expect(invalid.stderr).toContain('routes[0].acceptedIssuers');
    noStackTrace(invalid.stderr);
  }, 40_000);

  it('refuses a secrets file that is not an object of strings without echoing its values', async () => {
    writeFileSync(join(dir, 'bad-secrets.json'), JSON.stringify({ 'my/exchange-client': 12345678 }));
    const result = await npmStartFails(['--config', join(dir, 'config.json'), '--secrets', join(dir, 'bad-secrets.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"my/exchange-client" must be a string');
    expect(result.stderr).not.toContain('12345678');
    noStackTrace(result.stderr);
  }, 40_000);

  it('prints the usage and exits 2 for --secrets without --config', async () => {
    const result = await npmStartFails(['--secrets', join(dir, 'secrets.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--secrets goes with --config');
    expect(result.stderr).toContain('usage: npm start');
  }, 40_000);
});
