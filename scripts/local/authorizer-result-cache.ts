/**
 * API Gateway's authorizer result cache: an authorizer's answer (allow or deny, never a
 * thrown error) is reused for `ttlSeconds` for requests with the same identity source
 * values (for gatepass: the Authorization header and the route). A TTL of 0 turns it off.
 * Bounded: the oldest entries go first.
 */
export class AuthorizerResultCache<T> {
  readonly #entries = new Map<string, { value: T; expiresAt: number }>();
  #hits = 0;

  constructor(
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > 3600) throw new RangeError('authorizer cache TTL must be an integer from 0 to 3600 seconds');
  }

  /** Lookups answered from the cache so far. */
  get hits(): number {
    return this.#hits;
  }

  get(identity: readonly string[]): T | undefined {
    if (this.ttlSeconds === 0) return undefined;
    const key = JSON.stringify(identity);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#hits += 1;
    return entry.value;
  }

  set(identity: readonly string[], value: T): void {
    if (this.ttlSeconds === 0) return;
    const key = JSON.stringify(identity);
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.now() + this.ttlSeconds * 1000 });
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
