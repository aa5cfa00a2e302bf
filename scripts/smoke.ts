/**
 * `npm run smoke -- --stack GatepassApi --path /orders/123 --token-command "<cmd>"`: after
 * `cdk deploy`, check a real deployment end to end (docs/deploy.md "Deploy and smoke test").
 * Needs the AWS CLI v2 and credentials; the token command prints a real access token from
 * your IdP, which is sent to your API and nowhere else, and never printed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseCommandLine } from './command-line.js';
import { runSmokeTest, smokeReport } from './smoke/smoke-test.js';

const run = promisify(execFile);

const USAGE = `usage: npm run smoke -- --path <path> --token-command <command> [--stack GatepassApi] [--method GET] [--wait-seconds 180]
  checks a deployed gatepass: a real token through an exchange route gets 200, no token gets 401/403,
  the authorizer.decision and exchange.decision lines reach the log groups, the Exchanges metric reaches
  CloudWatch. Prints PASS/FAIL per check; exit 0 only if all pass. Needs the AWS CLI v2 and credentials.
  --path           a path of an exchange route, e.g. /orders/123
  --token-command  a shell command printing a real access token from your IdP on stdout (never printed)
  --stack          the API stack, whose outputs name the URL and the log groups (default GatepassApi)
  --method         the route's method (default GET)
  --wait-seconds   how long to wait for the log lines and the metric, 0-900 (default 180)`;

const { values } = parseCommandLine(
  USAGE,
  {
    options: {
      path: { type: 'string' },
      'token-command': { type: 'string' },
      stack: { type: 'string', default: 'GatepassApi' },
      method: { type: 'string', default: 'GET' },
      'wait-seconds': { type: 'string', default: '180' },
    },
  },
  ({ values }) => {
    if (values.path === undefined || !values.path.startsWith('/')) return '--path is required and starts with /';
    if (values['token-command'] === undefined || values['token-command'].trim() === '') return '--token-command is required';
    if (!/^(GET|POST|PUT|PATCH|DELETE|HEAD)$/.test(values.method)) return `--method must be GET, POST, PUT, PATCH, DELETE or HEAD (got ${values.method})`;
    const wait = Number(values['wait-seconds']);
    if (!Number.isInteger(wait) || wait < 0 || wait > 900) return `--wait-seconds must be an integer from 0 to 900 (got ${values['wait-seconds']})`;
    return undefined;
  },
);

const checks = await runSmokeTest(
  { stack: values.stack, path: values.path!, method: values.method, tokenCommand: values['token-command']!, waitSeconds: Number(values['wait-seconds']) },
  {
    aws: async (args) => (await run('aws', [...args, '--output', 'json'], { maxBuffer: 16 * 1024 * 1024 })).stdout,
    tokenFrom: async (command) => {
      try {
        return (await run('/bin/sh', ['-c', command], { maxBuffer: 1024 * 1024 })).stdout;
      } catch (error) {
        // The error's message quotes the command, which may hold a client secret (curl -u id:secret …): only the exit status.
        const code = (error as { code?: unknown }).code;
        // eslint-disable-next-line preserve-caught-error -- the cause would carry the command text
        throw new Error(`the token command failed${typeof code === 'number' ? ` (exit ${code})` : ''}`);
      }
    },
    fetch: async (url, init) => ({ status: (await fetch(url, { ...init, redirect: 'manual' })).status }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  },
).catch((error: unknown) => {
  // The AWS CLI or the token command failed: its first line says why (the token is stdout, never in it).
  console.error(`smoke test could not run: ${String((error as Error).message).split('\n')[0]}`);
  process.exit(1);
});
const report = smokeReport(checks);
console.log(report.text);
process.exit(report.exitCode);
