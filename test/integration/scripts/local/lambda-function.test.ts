import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildLambdaRuntime } from '../../../../scripts/local/function-bundles.js';
import { FunctionLogs } from '../../../../scripts/local/function-logs.js';
import { LambdaFunction, type LambdaFunctionOptions } from '../../../../scripts/local/lambda-function.js';

/**
 * The local Lambda containers with a tiny handler: real child processes, the runtime
 * compiled as `npm start` compiles it.
 */

const HANDLER = `
let invocations = 0;
const initAt = Date.now();
if (process.env.FAIL_INIT === 'yes') throw new Error('init failed on purpose');
export const handler = async (event, context) => {
  invocations += 1;
  if (event.action === 'throw') throw new Error(event.message ?? 'boom');
  if (event.action === 'sleep') await new Promise((r) => setTimeout(r, event.ms));
  if (event.action === 'log') console.log(JSON.stringify({ message: 'handler.log', value: event.value }));
  return { pid: process.pid, invocations, initAt, env: { ...process.env }, remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId, cwd: process.cwd() };
};
`;

let dir: string;
let runtimeFile: string;
const functions: LambdaFunction[] = [];

function lambda(overrides: Partial<LambdaFunctionOptions> = {}): LambdaFunction {
  const fn = new LambdaFunction({
    name: 'test-fn',
    taskRoot: dir,
    runtimeFile,
    environment: { LAMBDA_TASK_ROOT: dir, _HANDLER: 'index.handler', AWS_LAMBDA_FUNCTION_NAME: 'test-fn', ONLY_THIS: 'yes' },
    timeoutSeconds: 5,
    logs: new FunctionLogs('test-fn'),
    ...overrides,
  });
  functions.push(fn);
  return fn;
}

type Result = { pid: number; invocations: number; env: Record<string, string>; remaining: number; requestId: string; cwd: string };
const resultOf = (outcome: Awaited<ReturnType<LambdaFunction['invoke']>>): Result => {
  if (!outcome.ok) throw new Error(`invocation failed: ${outcome.error.errorMessage}`);
  return outcome.result as Result;
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatepass-lambda-'));
  writeFileSync(join(dir, 'index.mjs'), HANDLER);
  runtimeFile = await buildLambdaRuntime(join(dir, 'runtime', 'lambda-runtime.mjs'));
});

afterAll(async () => {
  await Promise.all(functions.map((fn) => fn.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('local Lambda function', () => {
  it('starts a container on the first invocation and reuses it while warm', async () => {
    const fn = lambda();
    const first = resultOf(await fn.invoke({}));
    const second = resultOf(await fn.invoke({}));
    expect(second.pid).toBe(first.pid);
    expect(second.invocations).toBe(2);
    expect(first.pid).not.toBe(process.pid);
    expect(fn.coldStarts).toBe(1);
    expect(fn.invocations).toBe(2);
  });

  it('gives the container exactly the configured environment, the task root as cwd, and a Lambda context', async () => {
    const result = resultOf(await lambda().invoke({}));
    const env = Object.keys(result.env).filter((name) => !name.startsWith('NODE_CHANNEL'));
    expect(env.sort()).toEqual(['AWS_LAMBDA_FUNCTION_NAME', 'LAMBDA_TASK_ROOT', 'ONLY_THIS', '_HANDLER']);
    expect(result.env['PATH']).toBeUndefined();
    expect(result.cwd).toBe(dir);
    expect(result.remaining).toBeGreaterThan(4000);
    expect(result.remaining).toBeLessThanOrEqual(5000);
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers a thrown error with Lambda's error payload and logs it as Lambda does", async () => {
    const fn = lambda();
    const outcome = await fn.invoke({ action: 'throw', message: 'Unauthorized' });
    expect(outcome).toEqual({ ok: false, error: { errorType: 'Error', errorMessage: 'Unauthorized' } });
    await vi.waitFor(() => {
      const lines = fn.options.logs.lines();
      expect(lines.some((line) => /\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"Unauthorized"/.test(line))).toBe(true);
      expect(lines.some((line) => line.startsWith('REPORT RequestId: ') && line.includes('Init Duration:'))).toBe(true);
    }, { timeout: 2000 });
  });

  it("keeps the handler's own log lines", async () => {
    const fn = lambda();
    await fn.invoke({ action: 'log', value: 7 });
    // stdout and the IPC channel are separate pipes: the line may arrive just after the result
    await vi.waitFor(() => expect(fn.options.logs.messages('handler.log')).toEqual([{ message: 'handler.log', value: 7 }]), { timeout: 2000 });
  });

  it('kills a container whose invocation times out and starts a new one for the next', async () => {
    const fn = lambda({ timeoutSeconds: 1 });
    const before = resultOf(await fn.invoke({}));
    const outcome = await fn.invoke({ action: 'sleep', ms: 3000 });
    expect(outcome).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    expect(outcome.ok ? '' : outcome.error.errorMessage).toMatch(/Task timed out after 1\.00 seconds/);
    const after = resultOf(await fn.invoke({}));
    expect(after.pid).not.toBe(before.pid);
    expect(alive(before.pid)).toBe(false);
  });

  it('reports a failed init and tries again with a new container', async () => {
    const fn = lambda({ environment: { LAMBDA_TASK_ROOT: dir, _HANDLER: 'index.handler', FAIL_INIT: 'yes' } });
    const outcome = await fn.invoke({});
    expect(outcome).toEqual({ ok: false, error: { errorType: 'Error', errorMessage: 'init failed on purpose' } });
    expect(fn.pids()).toEqual([]);
    await fn.invoke({});
    expect(fn.coldStarts).toBe(2);
  });

  it('starts a new process after restart: the cold start forgets the old container', async () => {
    const fn = lambda();
    const before = resultOf(await fn.invoke({}));
    await fn.restart();
    expect(alive(before.pid)).toBe(false);
    const after = resultOf(await fn.invoke({}));
    expect(after.pid).not.toBe(before.pid);
    expect(after.invocations).toBe(1);
  });

  it('serves concurrent invocations from more containers, up to maxContainers', async () => {
    const fn = lambda({ maxContainers: 2 });
    const results = (await Promise.all([1, 2, 3, 4].map(() => fn.invoke({ action: 'sleep', ms: 200 })))).map(resultOf);
    expect(new Set(results.map((r) => r.pid)).size).toBe(2);
    expect(fn.coldStarts).toBe(2);
  });

  it('leaves no process behind when stopped', async () => {
    const fn = lambda({ maxContainers: 2 });
    await Promise.all([fn.invoke({ action: 'sleep', ms: 100 }), fn.invoke({ action: 'sleep', ms: 100 })]);
    const pids = fn.pids();
    expect(pids).toHaveLength(2);
    await fn.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(await fn.invoke({})).toMatchObject({ ok: false, error: { errorType: 'Runtime.Stopped' } });
  });

  it('finds no handler in an empty task root and says so', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const outcome = await lambda({ taskRoot: empty, environment: { LAMBDA_TASK_ROOT: empty, _HANDLER: 'index.handler' } }).invoke({});
    expect(outcome).toMatchObject({ ok: false, error: { errorType: 'Runtime.ImportModuleError' } });
  });
});
