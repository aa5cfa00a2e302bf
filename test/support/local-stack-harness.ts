import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { vi } from 'vitest';
import { tokenIdOf } from '../../functions/shared/token-id.js';
import { parseTokenArgs } from '../../scripts/local/demo-tokens.js';
import type { ApiFlavour } from '../../scripts/local/gateway-events.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../scripts/local/local-stack.js';
import type { EchoedRequest } from '../../fakes/echo-upstream.js';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '../../fakes/oauth-server/token-exchange-grant.js';

/**
 * The local stack for end-to-end tests: the code `npm start` runs, on ephemeral ports in
 * a temporary folder, plus small helpers that drive it over HTTP and read what the
 * functions logged.
 */
export interface TestStack extends LocalStack {
  /** A demo token, as `npm run token -- <args>` would print it. */
  token(...args: string[]): Promise<string>;
  /** One request through the gateway. */
  call(path: string, init?: { token?: string; method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer }): Promise<GatewayCall>;
  /** Token exchange requests the corporate AS has answered. */
  exchanges(): number;
  /** The exchange function's audit line for a token (waits for it: logs arrive through a pipe). */
  decisionFor(token: string, count?: number): Promise<Record<string, unknown>>;
  /** The authorizer function's decision line for a token. */
  authorizerDecisionFor(token: string): Promise<Record<string, unknown>>;
}

export interface GatewayCall {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The request the upstream received for this call, if it was called. */
  readonly upstream: EchoedRequest | undefined;
}

export async function startTestStack(options: Omit<LocalStackOptions, 'workDir'> & { flavour?: ApiFlavour } = {}): Promise<TestStack> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const workDir = mkdtempSync(join(tmpdir(), 'gatepass-e2e-'));
  const stack = await startLocalStack({ ...options, workDir });
  const stop = async () => {
    await stack.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  const findLine = async (logs: LocalStack['logs']['exchange'], message: string, tokenId: string, count: number) =>
    vi.waitFor(
      () => {
        const lines = logs.messages(message).filter((line) => line['tokenId'] === tokenId);
        if (lines.length < count) throw new Error(`no ${message} line #${count} for ${tokenId} yet`);
        return lines[count - 1]!;
      },
      { timeout: 3000, interval: 20 },
    );
  return {
    ...stack,
    stop,
    token: async (...args) => (await stack.tokens.issue(parseTokenArgs(args))).token,
    call: async (path, init = {}) => {
      const headers = new Headers();
      if (init.token !== undefined) headers.set('authorization', `Bearer ${init.token}`);
      for (const [name, value] of Object.entries(init.headers ?? {})) for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      const before = stack.echo.requests.length;
      const response = await fetch(`${stack.urls.gateway}${path}`, {
        method: init.method ?? 'GET',
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, upstream: stack.echo.requests.slice(before).at(-1) };
    },
    exchanges: () => stack.corp.tokenRequests.filter((r) => r.grantType === TOKEN_EXCHANGE_GRANT_TYPE).length,
    decisionFor: (token, count = 1) => findLine(stack.logs.exchange, 'exchange.decision', tokenIdOf(token), count),
    authorizerDecisionFor: (token) => findLine(stack.logs.authorizer, 'authorizer.decision', tokenIdOf(token), 1),
  };
}

/** The bearer token the upstream received. */
export function upstreamToken(request: EchoedRequest | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request?.headers['authorization']?.[0] ?? '')?.[1];
}

/** True while a process with this id exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `pid` (from `ps`): what a stop must leave dead. */
export async function descendants(pid: number): Promise<number[]> {
  const { stdout: table } = await promisify(execFile)('ps', ['-eo', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const line of table.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const child of children.get(p) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}
