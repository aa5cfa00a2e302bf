import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmokeTest, smokeReport, type SmokeDependencies } from '../../../scripts/smoke/smoke-test.js';

const root = new URL('../../../', import.meta.url).pathname;
const tsx = join(root, 'node_modules/.bin/tsx');
const script = join(root, 'scripts/smoke.ts');
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.smoke-test-token.c2lnbmF0dXJl';

describe('npm run smoke: its command line (it cannot reach AWS here)', () => {
  it('prints its usage with --help and exits 0', () => {
    const run = spawnSync(tsx, [script, '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('usage: npm run smoke -- --path <path> --token-command <command>');
  });

  it.each([
    [[], '--path is required'],
    [['--path', 'orders/1', '--token-command', 'echo x'], '--path is required and starts with /'],
    [['--path', '/orders/1'], '--token-command is required'],
    [['--path', '/orders/1', '--token-command', 'echo x', '--method', 'TRACE'], '--method must be GET, POST'],
    [['--path', '/orders/1', '--token-command', 'echo x', '--wait-seconds', '1000'], '--wait-seconds must be an integer from 0 to 900'],
    [['--path', '/orders/1', '--token-command', 'echo x', '--stak', 'X'], "Unknown option '--stak'"],
  ])('refuses %j with exit 2, saying what is wrong', (args, problem) => {
    const run = spawnSync(tsx, [script, ...args], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(problem);
    expect(run.stderr).toContain('usage: npm run smoke');
  });
});

describe('the smoke checks, against a stand-in API on 127.0.0.1 and a stand-in AWS CLI', () => {
  let api: Server;
  let apiUrl: string;
  let exchangeStatus = 200;
  beforeAll(async () => {
    api = createServer((request, response) => {
      response.statusCode = request.headers.authorization === `Bearer ${TOKEN}` ? exchangeStatus : 401;
      response.end();
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

  function dependencies(aws: { logs: boolean; metric: boolean; outputs?: Record<string, string> }): SmokeDependencies & { calls: string[][] } {
    let clock = 1_700_000_000_000;
    const calls: string[][] = [];
    return {
      calls,
      aws: async (args) => {
        calls.push([...args]);
        if (args[0] === 'cloudformation') {
          const outputs = aws.outputs ?? { ApiUrl: apiUrl, AuthorizerLogGroupName: 'authorizer-logs', ExchangeLogGroupName: 'exchange-logs' };
          return JSON.stringify({ Stacks: [{ Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] });
        }
        if (args[0] === 'logs') {
          const message = args.at(-1)!.includes('authorizer') ? 'authorizer.decision' : 'exchange.decision';
          return JSON.stringify({ events: aws.logs ? [{ message: JSON.stringify({ message, outcome: message.startsWith('auth') ? 'allow' : 'ok', route: 'orders-read' }) }] : [] });
        }
        return JSON.stringify({ Datapoints: aws.metric ? [{ Sum: 1 }] : [] });
      },
      tokenFrom: async () => `${TOKEN}\n`,
      fetch: async (url, init) => ({ status: (await fetch(url, init)).status }),
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
    };
  }
  const options = { stack: 'GatepassApi', path: '/orders/123', method: 'GET', tokenCommand: 'idp-token --audience orders', waitSeconds: 30 };

  it('passes every check on a working deployment, and never prints the token', async () => {
    exchangeStatus = 200;
    const deps = dependencies({ logs: true, metric: true });
    const report = smokeReport(await runSmokeTest(options, deps));
    expect(report.exitCode).toBe(0);
    expect(report.text.split('\n')).toEqual([
      `PASS 200 through an exchange route: GET ${apiUrl}orders/123 with the token: 200`,
      `PASS refusal without a token: GET ${apiUrl}orders/123 without a token: 401`,
      'PASS authorizer.decision in the logs: authorizer-logs: outcome=allow route=orders-read',
      'PASS exchange.decision in the logs: exchange-logs: outcome=ok route=orders-read',
      'PASS gatepass/Exchanges in CloudWatch: 1 since the requests',
      'smoke test passed (5 checks)',
    ]);
    expect(report.text).not.toContain(TOKEN);
    expect(JSON.stringify(deps.calls)).not.toContain(TOKEN);
    expect(deps.calls).toContainEqual(expect.arrayContaining(['logs', 'filter-log-events', '--log-group-name', 'authorizer-logs', '--filter-pattern', '{ $.message = "authorizer.decision" }']));
    expect(deps.calls).toContainEqual(expect.arrayContaining(['cloudwatch', 'get-metric-statistics', '--namespace', 'gatepass', '--metric-name', 'Exchanges', '--dimensions', 'Name=service,Value=gatepass-exchange']));
  });

  it('fails, check by check, when the route does not answer 200 and nothing reaches the logs or the metric in time', async () => {
    exchangeStatus = 502;
    const report = smokeReport(await runSmokeTest(options, dependencies({ logs: false, metric: false })));
    expect(report.exitCode).toBe(1);
    const lines = report.text.split('\n');
    expect(lines[0]).toBe(`FAIL 200 through an exchange route: GET ${apiUrl}orders/123 with the token: 502`);
    expect(lines[1]).toMatch(/^PASS refusal without a token/);
    expect(lines.slice(2, 5).every((line) => line.startsWith('FAIL') && line.endsWith('not found before the wait ran out (--wait-seconds)'))).toBe(true);
    expect(lines[5]).toBe('smoke test failed: 4 of 5 checks');
  });

  it('says which outputs are missing when the stack predates them', async () => {
    const report = smokeReport(await runSmokeTest(options, dependencies({ logs: true, metric: true, outputs: { ApiUrl: apiUrl } })));
    expect(report.text.split('\n')[0]).toBe(
      'FAIL stack outputs: GatepassApi has no output AuthorizerLogGroupName, ExchangeLogGroupName (deploy this version of gatepass first)',
    );
    expect(report.exitCode).toBe(1);
  });
});
