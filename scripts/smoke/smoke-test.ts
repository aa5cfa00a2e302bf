/**
 * The checks of `npm run smoke`, apart from the command line and the AWS CLI so that tests can
 * drive them: a real token through an exchange route gets 200, no token gets a refusal, the
 * decision lines reach the log groups, the metric reaches CloudWatch. Never prints the token.
 * The AWS CLI's JSON shapes read here are those of its reference pages
 * (https://docs.aws.amazon.com/cli/latest/reference/cloudformation/describe-stacks.html,
 * https://docs.aws.amazon.com/cli/latest/reference/logs/filter-log-events.html,
 * https://docs.aws.amazon.com/cli/latest/reference/cloudwatch/get-metric-statistics.html);
 * the tests feed stand-ins of those shapes, so a real account is the only full check.
 */
import { ServiceName, METRICS_NAMESPACE, MetricDimension, MetricName } from '../../functions/shared/contracts/metric-names.js';

export interface SmokeOptions {
  /** The API stack's name (its outputs name the URL and the log groups). */
  readonly stack: string;
  /** A path of an exchange route, e.g. `/orders/123`. */
  readonly path: string;
  readonly method: string;
  /** A shell command that prints a real access token from your IdP on stdout. */
  readonly tokenCommand: string;
  /** How long to wait for the log lines and the metric (they arrive in seconds to minutes). */
  readonly waitSeconds: number;
}

export interface SmokeDependencies {
  /** Runs `aws <args> --output json` and returns stdout (the AWS CLI v2, your credentials). */
  aws(args: readonly string[]): Promise<string>;
  /** Runs the token command in a shell and returns its stdout. */
  tokenFrom(command: string): Promise<string>;
  fetch(url: string, init: { method: string; headers: Record<string, string> }): Promise<{ status: number }>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const POLL_MS = 10_000;

export async function runSmokeTest(options: SmokeOptions, deps: SmokeDependencies): Promise<SmokeCheck[]> {
  const outputs = await stackOutputs(options.stack, deps);
  const missing = ['ApiUrl', 'AuthorizerLogGroupName', 'ExchangeLogGroupName'].filter((key) => outputs[key] === undefined);
  if (missing.length > 0) return [{ name: 'stack outputs', ok: false, detail: `${options.stack} has no output ${missing.join(', ')} (deploy this version of gatepass first)` }];
  const url = new URL(options.path.replace(/^\//, ''), outputs['ApiUrl']!.endsWith('/') ? outputs['ApiUrl']! : `${outputs['ApiUrl']}/`).toString();
  const started = deps.now();
  const checks: SmokeCheck[] = [];

  const token = (await deps.tokenFrom(options.tokenCommand)).trim();
  if (token === '') return [{ name: 'token', ok: false, detail: 'the token command printed nothing' }];
  const allowed = await deps.fetch(url, { method: options.method, headers: { authorization: `Bearer ${token}` } });
  checks.push({ name: '200 through an exchange route', ok: allowed.status === 200, detail: `${options.method} ${url} with the token: ${allowed.status}` });
  const refused = await deps.fetch(url, { method: options.method, headers: {} });
  checks.push({ name: 'refusal without a token', ok: refused.status === 401 || refused.status === 403, detail: `${options.method} ${url} without a token: ${refused.status}` });

  const deadline = started + options.waitSeconds * 1000;
  checks.push(
    await poll('authorizer.decision in the logs', deadline, deps, () => decisionLine(deps, outputs['AuthorizerLogGroupName']!, 'authorizer.decision', started)),
    await poll('exchange.decision in the logs', deadline, deps, () => decisionLine(deps, outputs['ExchangeLogGroupName']!, 'exchange.decision', started)),
    await poll(`${METRICS_NAMESPACE}/${MetricName.Exchanges} in CloudWatch`, deadline, deps, () => exchangesMetric(deps, started)),
  );
  return checks;
}

/** `PASS name: detail` lines and a last line; exit code 0 only if every check passed. */
export function smokeReport(checks: readonly SmokeCheck[]): { text: string; exitCode: number } {
  const failed = checks.filter((c) => !c.ok).length;
  const lines = checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  lines.push(failed === 0 ? `smoke test passed (${checks.length} checks)` : `smoke test failed: ${failed} of ${checks.length} checks`);
  return { text: lines.join('\n'), exitCode: failed === 0 ? 0 : 1 };
}

async function stackOutputs(stack: string, deps: SmokeDependencies): Promise<Record<string, string>> {
  const described = JSON.parse(await deps.aws(['cloudformation', 'describe-stacks', '--stack-name', stack])) as {
    Stacks?: { Outputs?: { OutputKey: string; OutputValue: string }[] }[];
  };
  return Object.fromEntries((described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

async function poll(name: string, deadline: number, deps: SmokeDependencies, look: () => Promise<string | undefined>): Promise<SmokeCheck> {
  for (;;) {
    const found = await look();
    if (found !== undefined) return { name, ok: true, detail: found };
    if (deps.now() >= deadline) return { name, ok: false, detail: 'not found before the wait ran out (--wait-seconds)' };
    await deps.sleep(POLL_MS);
  }
}

async function decisionLine(deps: SmokeDependencies, logGroup: string, message: string, since: number): Promise<string | undefined> {
  const events = JSON.parse(
    await deps.aws(['logs', 'filter-log-events', '--log-group-name', logGroup, '--start-time', String(since), '--filter-pattern', `{ $.message = "${message}" }`]),
  ) as { events?: { message: string }[] };
  const line = events.events?.[0]?.message;
  if (line === undefined) return undefined;
  const fields = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
  return `${logGroup}: outcome=${String(fields['outcome'])} route=${String(fields['route'])}`;
}

async function exchangesMetric(deps: SmokeDependencies, since: number): Promise<string | undefined> {
  const stats = JSON.parse(
    await deps.aws([
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      METRICS_NAMESPACE,
      '--metric-name',
      MetricName.Exchanges,
      '--dimensions',
      `Name=${MetricDimension.Service},Value=${ServiceName.Exchange}`,
      '--start-time',
      new Date(since - 60_000).toISOString(),
      '--end-time',
      new Date(deps.now() + 60_000).toISOString(),
      '--period',
      '60',
      '--statistics',
      'Sum',
    ]),
  ) as { Datapoints?: { Sum: number }[] };
  const sum = (stats.Datapoints ?? []).reduce((total, point) => total + point.Sum, 0);
  return sum > 0 ? `${sum} since the requests` : undefined;
}
