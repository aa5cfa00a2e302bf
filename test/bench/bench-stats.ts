/**
 * Measurement primitives of `npm run bench`. Figures are per call: a batch of calls is
 * timed as a whole (wall with performance.now, CPU with process.cpuUsage, which counts
 * every thread of the process: worker threads and libuv's pool included), divided by
 * the batch size; the figure is the median over the batches. Warm-up batches run first
 * and are not counted. Nothing here asserts: benchmarks are never tests.
 */

export interface PerCall {
  /** Median wall-clock microseconds per call. */
  readonly wallUs: number;
  /** Median CPU microseconds per call (user + system, all threads). */
  readonly cpuUs: number;
  /** Calls measured (warm-up excluded). */
  readonly calls: number;
  /** Batches measured; each figure is the median of the per-batch means. */
  readonly batches: number;
  /** CPU µs per call of each measured batch, in the order of the rounds (for paired ratios). */
  readonly cpuSamples: readonly number[];
}

export interface BatchPlan {
  readonly batches: number;
  readonly perBatch: number;
  /** Batches run first and discarded (JIT, caches, connections). Default 2. */
  readonly warmupBatches?: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value below which `q` (0..1) of the values lie (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const cpuMicros = (usage: NodeJS.CpuUsage): number => usage.user + usage.system;

/**
 * Runs `call(i)` in timed batches; `i` counts every call from 0, warm-up included, so a
 * caller can hand each call its own input (first-seen tokens).
 */
export async function perCall(plan: BatchPlan, call: (i: number) => unknown): Promise<PerCall> {
  return (await interleaved(plan, { only: call }))['only']!;
}

/**
 * Measures several variants side by side: each round runs one batch of every variant, in
 * an order that rotates from round to round, so that background load (other processes on
 * a 2-core machine) lands on all of them alike and their ratios stay meaningful.
 */
export async function interleaved<K extends string>(plan: BatchPlan, variants: Record<K, (i: number) => unknown>): Promise<Record<K, PerCall>> {
  const warmup = plan.warmupBatches ?? 2;
  const names = Object.keys(variants) as K[];
  const samples = new Map<K, { wall: number[]; cpu: number[]; next: number }>(names.map((name) => [name, { wall: [], cpu: [], next: 0 }]));
  for (let round = 0; round < warmup + plan.batches; round += 1) {
    for (let k = 0; k < names.length; k += 1) {
      const name = names[(round + k) % names.length]!;
      const call = variants[name];
      const state = samples.get(name)!;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let n = 0; n < plan.perBatch; n += 1) await call(state.next++);
      const elapsedUs = (performance.now() - t0) * 1000;
      const cpuUs = cpuMicros(process.cpuUsage(cpu0));
      if (round >= warmup) {
        state.wall.push(elapsedUs / plan.perBatch);
        state.cpu.push(cpuUs / plan.perBatch);
      }
    }
  }
  const result = {} as Record<K, PerCall>;
  for (const name of names) {
    const state = samples.get(name)!;
    result[name] = { wallUs: median(state.wall), cpuUs: median(state.cpu), calls: plan.batches * plan.perBatch, batches: plan.batches, cpuSamples: state.cpu };
  }
  return result;
}

/**
 * The CPU ratio of two variants measured side by side by `interleaved`: the median of their
 * per-round ratios. A round's two batches ran moments apart, so load that comes and goes
 * (other processes on the machine) cancels out of each ratio, which a ratio of the two
 * medians does not guarantee.
 */
export function pairedRatio(a: PerCall, b: PerCall): number {
  const n = Math.min(a.cpuSamples.length, b.cpuSamples.length);
  return median(Array.from({ length: n }, (_, i) => a.cpuSamples[i]! / b.cpuSamples[i]!));
}

/** Calls `perCall` needs for a plan, warm-up included: the number of distinct inputs to prepare. */
export function callsNeeded(plan: BatchPlan): number {
  return ((plan.warmupBatches ?? 2) + plan.batches) * plan.perBatch;
}

/** Rounds for tables and JSON: 3 significant digits, at most 2 decimals. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return Number(value.toFixed(decimals));
}
