/**
 * Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): a uniformly random wait between 0 and min(cap, base * 2^(attempt - 1)), so that
 * many Lambda containers retrying together spread out instead of hitting the server in waves.
 */
export const BACKOFF_BASE_MS = 100;
export const BACKOFF_CAP_MS = 2000;

/** Wait before the attempt after `attempt` (1-based), with `random()` in [0, 1). */
export function fullJitterDelayMs(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
