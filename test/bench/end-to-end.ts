/**
 * Section 4: end to end through the local stack of issue #5 (scripts/local: the local API
 * Gateway in front of both functions, bundled as deployed and run in their own processes,
 * with dynalite, oidc-provider and the echo upstream), loaded with autocannon on 127.0.0.1.
 *
 * Three runs against the same upstream path, each after a warm-up:
 * - the echo upstream called directly (the baseline);
 * - passthrough: a corporate token on orders-read (same issuer, no downscoping condition);
 * - exchange with a warm cache: a partner token on orders-read (exchanged once, then
 *   served from the exchange Lambda's memory cache).
 * The gateway's authorizer result cache is on (60 s, as the stack deploys it), so repeated
 * tokens reach the authorizer once per TTL, as in API Gateway.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadInput, LoadResult } from './autocannon-run.js';
import { runInChild } from './bench-child.js';

export interface EndToEndRun extends LoadResult {
  readonly name: string;
  /** Mean latency over the direct call's mean latency (1 = no overhead; autocannon's percentiles are whole milliseconds). */
  readonly overheadVsDirect: number;
}

export type EndToEndResult =
  | {
      readonly status: 'measured';
      readonly connections: number;
      readonly durationSeconds: number;
      readonly maxRequests: number;
      readonly runs: readonly EndToEndRun[];
      readonly notes: readonly string[];
    }
  | { readonly status: 'skipped'; readonly reason: string };

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const stackModule = join(repoRoot, 'scripts', 'local', 'local-stack.ts');

interface LocalStackLike {
  readonly urls: { readonly gateway: string; readonly upstream: string };
  readonly tokens: { issue(request: { issuer: string; scope: readonly string[]; subject?: string }): Promise<{ token: string }> };
  stop(): Promise<void>;
}

export async function measureEndToEnd(options: { quick: boolean }): Promise<EndToEndResult> {
  if (!existsSync(stackModule)) return { status: 'skipped', reason: 'the local stack (scripts/local/local-stack.ts, issue #5) is not in this tree' };
  const connections = 10;
  const durationSeconds = options.quick ? 2 : 6;
  const maxRequests = 50_000;
  const workDir = join(repoRoot, '.bundle', 'bench', 'local-stack');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });

  const { startLocalStack } = (await import(stackModule)) as { startLocalStack: (o: { workDir: string; flavour: 'http' }) => Promise<LocalStackLike> };
  const stack = await startLocalStack({ workDir, flavour: 'http' });
  try {
    const partner = (await stack.tokens.issue({ issuer: 'partner', scope: ['orders:read'] })).token;
    const corp = (await stack.tokens.issue({ issuer: 'corp', scope: ['orders:read'] })).token;
    const gateway = stack.urls.gateway;
    const targets = [
      { name: 'echo upstream, direct', url: `${stack.urls.upstream}/orders-service/orders/42`, token: partner },
      { name: 'passthrough (corp token)', url: `${gateway}/orders/42`, token: corp },
      { name: 'exchange, warm cache (partner token)', url: `${gateway}/orders/42`, token: partner },
    ];
    const runs: EndToEndRun[] = [];
    for (const target of targets) {
      const headers = { authorization: `Bearer ${target.token}`, accept: 'application/json' };
      // Warm-up: containers up, JWKS loaded, the exchange cached, authorizer answer cached.
      for (let i = 0; i < 20; i += 1) {
        const answer = await fetch(target.url, { headers });
        await answer.arrayBuffer();
        if (answer.status !== 200) throw new Error(`end to end warm-up: ${target.name} answered ${answer.status}`);
      }
      const input: LoadInput = { url: target.url, headers, connections, durationSeconds, amount: maxRequests };
      const result = await runInChild<LoadResult>(new URL('./autocannon-run.ts', import.meta.url), input, { timeoutMs: (durationSeconds + 30) * 1000 });
      const direct = runs[0];
      runs.push({ ...result, name: target.name, overheadVsDirect: direct ? result.meanMs / direct.meanMs : 1 });
    }
    return {
      status: 'measured',
      connections,
      durationSeconds,
      maxRequests,
      runs,
      notes: [
        'one 2-core machine runs the load generator, the local gateway, both function processes, oidc-provider, dynalite and the echo upstream: the figures show relative overhead, not Lambda throughput',
        'the local gateway caches authorizer answers for 60 s per token and route, as the stack configures API Gateway',
      ],
    };
  } finally {
    await stack.stop();
  }
}
