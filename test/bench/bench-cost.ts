/**
 * Cost per million requests on Lambda Arm, from the bench's per-request figures.
 *
 * Prices: AWS Lambda, Arm, US East (N. Virginia), first pricing tier, from
 * https://aws.amazon.com/lambda/pricing/ as read on 2026-12-06 (check it before relying on it).
 * Billed duration: Lambda bills each invocation rounded up to the next millisecond (same page).
 * CPU share: "At 1,769 MB, a function has the equivalent of one vCPU" and CPU is allocated
 * in proportion to memory (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html),
 * so a request's CPU time measured on one full core here takes 1769 / memory times as long
 * there. The estimate of an invocation's duration is the larger of that and the measured wall
 * time (which holds the loopback round trips), rounded up to whole milliseconds.
 */
export const LAMBDA_ARM_PRICE = {
  region: 'us-east-1',
  usdPerGbSecond: 0.0000133334,
  usdPerMillionRequests: 0.2,
  source: 'https://aws.amazon.com/lambda/pricing/',
  readOn: '2026-12-06',
} as const;

export const MEMORY_SIZES_MB = [128, 256, 512] as const;
const ONE_VCPU_MB = 1769;

export interface PerRequestFigure {
  readonly wallUs: number;
  readonly cpuUs: number;
}

/** Milliseconds Lambda would bill for one invocation at this memory size (at least 1). */
export function billedMs(figure: PerRequestFigure, memoryMb: number): number {
  const estimateUs = Math.max(figure.wallUs, (figure.cpuUs * ONE_VCPU_MB) / memoryMb);
  return Math.max(1, Math.ceil(estimateUs / 1000));
}

/** USD per million invocations: the request charge plus the billed duration. */
export function usdPerMillionInvocations(figure: PerRequestFigure, memoryMb: number): number {
  const gbSeconds = (billedMs(figure, memoryMb) / 1000) * (memoryMb / 1024);
  return LAMBDA_ARM_PRICE.usdPerMillionRequests + gbSeconds * LAMBDA_ARM_PRICE.usdPerGbSecond * 1_000_000;
}

export interface CostRow {
  readonly what: string;
  /** Invocations per API request: 1 − the authorizer cache hit rate; 1 for the exchange function. */
  readonly invocationsPerRequest: number;
  readonly billedMs: Readonly<Record<number, number>>;
  /** USD per million API requests, by memory size (MB). */
  readonly usdPerMillionRequests: Readonly<Record<number, number>>;
}

export function costRow(what: string, figure: PerRequestFigure, invocationsPerRequest = 1): CostRow {
  const billed: Record<number, number> = {};
  const usd: Record<number, number> = {};
  for (const mb of MEMORY_SIZES_MB) {
    billed[mb] = billedMs(figure, mb);
    usd[mb] = Number((usdPerMillionInvocations(figure, mb) * invocationsPerRequest).toFixed(4));
  }
  return { what, invocationsPerRequest, billedMs: billed, usdPerMillionRequests: usd };
}
