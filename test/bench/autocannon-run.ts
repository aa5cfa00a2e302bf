/**
 * One autocannon run, in its own process (run by end-to-end.ts through runInChild), so the
 * load generator does not share an event loop with the local gateway it loads.
 * Bounded both ways: at most `amount` requests and at most `durationSeconds`.
 */
import { createRequire } from 'node:module';
import { childMain } from './bench-child.js';

export interface LoadInput {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly amount: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

interface AutocannonResult {
  readonly requests: { readonly total: number; readonly average: number };
  readonly latency: { readonly mean: number; readonly p50: number; readonly p99: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly duration: number;
}

interface AutocannonInstance {
  stop(): void;
}

type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

childMain(async (input: LoadInput): Promise<LoadResult> => {
  if (!input.url.startsWith('http://127.0.0.1:')) throw new Error('the bench only loads 127.0.0.1');
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      { url: input.url, headers: input.headers, connections: input.connections, duration: input.durationSeconds, amount: input.amount, timeout: 10 },
      (error, outcome) => (error ? reject(error) : resolve(outcome)),
    );
    // `amount` makes autocannon ignore `duration`: the time bound is kept here.
    setTimeout(() => instance.stop(), input.durationSeconds * 1000).unref();
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: result.duration > 0 ? result.requests.total / result.duration : 0,
    meanMs: result.latency.mean,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
});
