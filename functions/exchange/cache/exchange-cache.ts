import { ExpiringLru } from '../../shared/expiring-lru.js';
import { isGatepassError } from '../../shared/errors.js';
import { encodeCanonicalFields, memoryKeyOf, type CacheKeys } from './cache-key.js';
import type { CacheKeySource } from './cache-key-source.js';
import { CacheItemFormatError, type CacheItem, type CacheTable } from './cache-table.js';
import { cacheReporter, type CacheEvent } from './cache-telemetry.js';
import { silentLog, silentMetrics, type LogSink, type MetricSink } from '../../shared/telemetry/telemetry-sinks.js';
import { CacheLayer } from '../../shared/contracts/metric-names.js';
import type { CacheKeyTuple, CachedToken, IssuedToken } from '../exchange-model.js';
import { TokenCipherError } from './token-cipher.js';

/**
 * The two-level exchange cache (docs/design.md "Cache"): a bounded LRU in this container, then
 * the DynamoDB table, then the token endpoint. Concurrent misses for one key share one
 * lookup and one exchange (single flight). The table is an optimisation only: whatever it
 * does, a request is answered (errors degrade to a direct exchange, reported to the sinks).
 *
 * Nothing here keeps the subject token: it is an input of the `pk` HMAC (the table's key)
 * and of the memory key (a SHA-256 of the same tuple, cache-key.ts) and nothing else. The
 * memory layer, the single flights and the evicted set are keyed by the memory key, so a
 * memory hit costs one SHA-256 and needs no key material; the pk is derived only when
 * the table is asked or written.
 */

export interface ExchangeCacheOptions {
  /** The derived cache keys (cache-key-source.ts). */
  readonly keys: CacheKeySource;
  /** The DynamoDB layer; absent: memory only. */
  readonly table?: CacheTable;
  /** settings.cache.memoryMaxEntries; 0 turns the memory layer off (single flight stays). */
  readonly memoryMaxEntries: number;
  /** settings.exchange.refreshMarginSeconds: entries end this long before the token does. */
  readonly refreshMarginSeconds: number;
  /** Epoch milliseconds; default Date.now. */
  readonly clock?: () => number;
  /** Default silent. */
  readonly log?: LogSink;
  /** Default silent. */
  readonly metrics?: MetricSink;
  /**
   * After a table error, table calls are skipped for this long, so a DynamoDB outage costs
   * one timeout per container and cooldown, not one per request. Default 5000 ms.
   */
  readonly tableCooldownMs?: number;
}

/** The answer of a lookup. */
export interface CacheLookup {
  readonly token: CachedToken;
  /** Which layer answered; `miss` means the exchange function ran. */
  readonly layer: CacheLayer;
  /** True when this call waited for another concurrent call's lookup (and reports its layer). */
  readonly shared: boolean;
}

const DEFAULT_TABLE_COOLDOWN_MS = 5_000;
/** Most pks remembered as evicted until their re-exchange is written. */
const MAX_EVICTED = 1_000;
const ITEM_DATA_LABEL = 'gatepass cache item v1';

/**
 * When an entry for a freshly issued token stops being served, in epoch seconds:
 * `min(now + expires_in, the issued token's own exp, subject exp) - refresh margin`. An
 * undefined expiry caps nothing (the answer's lifetime still does). A result at or before
 * `now` means: use the token for this request, do not cache it.
 */
export function cacheExpiresAt(
  nowSeconds: number,
  expiresInSeconds: number,
  subjectExpiresAt: number | undefined,
  refreshMarginSeconds: number,
  issuedExpiresAt?: number,
): number {
  let end = nowSeconds + Math.floor(expiresInSeconds);
  if (subjectExpiresAt !== undefined) end = Math.min(end, Math.floor(subjectExpiresAt));
  if (issuedExpiresAt !== undefined) end = Math.min(end, Math.floor(issuedExpiresAt));
  return end - refreshMarginSeconds;
}

export class ExchangeCache {
  private readonly memory: ExpiringLru<CachedToken>;
  private readonly inflight = new Map<string, Promise<CacheLookup>>();
  private readonly pending = new Set<Promise<void>>();
  /** pks evicted after an upstream 401: the next exchange skips the table read and overwrites. */
  private readonly evicted = new Set<string>();
  private readonly clock: () => number;
  private readonly report: (event: CacheEvent) => void;
  private readonly tableCooldownMs: number;
  private tableCoolsUntil = 0;

  constructor(private readonly options: ExchangeCacheOptions) {
    this.clock = options.clock ?? Date.now;
    this.report = cacheReporter(options.log ?? silentLog, options.metrics ?? silentMetrics);
    this.tableCooldownMs = options.tableCooldownMs ?? DEFAULT_TABLE_COOLDOWN_MS;
    this.memory = new ExpiringLru<CachedToken>(options.memoryMaxEntries, this.clock);
  }

  /**
   * Loads the cache keys now, so the first request does not wait for Secrets Manager: call it
   * with top-level await during Lambda init. Never throws; a failure is reported (and, after
   * the key source's retry delay, retried) by the first lookup.
   */
  async prepare(): Promise<void> {
    try {
      await this.options.keys();
    } catch {
      // the first lookup reports it
    }
  }

  /**
   * The cached token for this tuple, else the one `exchange` issues (then cached in both
   * layers when its lifetime allows). `subjectExpiresAt` (epoch seconds) caps the entry's
   * life; undefined when the subject token has no known expiry.
   *
   * Rejects only with the exchange function's own error, or `gateway_misconfigured` when the
   * cache key secret is unusable (missing, binary, too short). A failing exchange caches
   * nothing; calls that joined it get the same error, and the next call tries afresh.
   */
  async getOrExchange(
    tuple: CacheKeyTuple,
    subjectExpiresAt: number | undefined,
    exchange: () => Promise<IssuedToken>,
  ): Promise<CacheLookup> {
    const memoryKey = memoryKeyOf(tuple);
    const remembered = this.memory.get(memoryKey);
    if (remembered) return this.answer({ token: remembered, layer: CacheLayer.Memory, shared: false });

    let keys: CacheKeys;
    try {
      keys = await this.options.keys();
    } catch (error) {
      if (isGatepassError(error)) throw error;
      this.record({ type: 'key_unavailable', error: errorName(error) });
      const issued = await exchange();
      return this.answer({ token: this.tokenOf(issued, subjectExpiresAt), layer: CacheLayer.Miss, shared: false });
    }
    // A flight may have settled while the keys were awaited: look again before starting one.
    const settled = this.memory.get(memoryKey);
    if (settled) return this.answer({ token: settled, layer: CacheLayer.Memory, shared: false });

    const running = this.inflight.get(memoryKey);
    if (running) {
      const lookup = await running;
      return this.answer({ ...lookup, shared: true });
    }

    // The flight leaves the map before it settles: a call that arrives afterwards starts
    // a new flight instead of joining a finished (perhaps failed) one.
    let flight: Promise<CacheLookup> | undefined = undefined;
    flight = (async () => {
      try {
        return await this.resolve(keys, tuple, memoryKey, subjectExpiresAt, exchange);
      } finally {
        if (this.inflight.get(memoryKey) === flight) this.inflight.delete(memoryKey);
      }
    })();
    this.inflight.set(memoryKey, flight);
    return this.answer(await flight);
  }

  /**
   * Forgets the entry for this tuple in both layers (the upstream refused the cached token).
   * The next lookup for it skips the table read and its write replaces whatever the table
   * holds, so a failed delete cannot bring the refused token back. Never throws.
   */
  async evict(tuple: CacheKeyTuple): Promise<void> {
    const memoryKey = memoryKeyOf(tuple);
    this.memory.delete(memoryKey);
    this.evicted.delete(memoryKey);
    this.evicted.add(memoryKey);
    if (this.evicted.size > MAX_EVICTED) this.evicted.delete(this.evicted.values().next().value as string);
    this.record({ type: 'evicted' });
    const { table } = this.options;
    if (!table) return;
    let keys: CacheKeys;
    try {
      keys = await this.options.keys();
    } catch {
      return; // without keys nothing was written to the table
    }
    if (this.tableSkipped('delete')) return;
    try {
      await table.delete(keys.pkOf(tuple));
    } catch (error) {
      this.tableFailed('delete', error);
    }
  }

  /**
   * Resolves when every table write started so far has finished (written, kept, failed or
   * timed out; never rejects). Writes run off the lookup's critical path; the handler awaits
   * this before it returns its response, so the write overlaps the upstream call and
   * Lambda does not freeze a container with a write still on the wire.
   */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async resolve(
    keys: CacheKeys,
    tuple: CacheKeyTuple,
    memoryKey: string,
    subjectExpiresAt: number | undefined,
    exchange: () => Promise<IssuedToken>,
  ): Promise<CacheLookup> {
    const { table } = this.options;
    const pk = table ? keys.pkOf(tuple) : undefined;
    const replace = this.evicted.has(memoryKey);
    if (!replace && pk !== undefined) {
      const stored = await this.readTable(keys, pk);
      if (stored) {
        this.memory.set(memoryKey, stored, stored.expiresAt * 1000);
        return { token: stored, layer: CacheLayer.Table, shared: false };
      }
    }

    const issued = await exchange();
    const token = this.tokenOf(issued, subjectExpiresAt);
    const now = this.nowSeconds();
    if (!(token.expiresAt > now)) {
      this.record({ type: 'not_cached' });
      return { token, layer: CacheLayer.Miss, shared: false };
    }
    this.evicted.delete(memoryKey);
    this.memory.set(memoryKey, token, token.expiresAt * 1000);
    if (table && pk !== undefined) this.track(this.writeTable(table, keys, pk, token, now, replace));
    return { token, layer: CacheLayer.Miss, shared: false };
  }

  private async readTable(keys: CacheKeys, pk: string): Promise<CachedToken | undefined> {
    const { table } = this.options;
    if (!table || this.tableSkipped('get')) return undefined;
    let item: CacheItem | undefined;
    try {
      item = await table.get(pk);
    } catch (error) {
      if (error instanceof CacheItemFormatError) {
        this.record({ type: 'item_rejected', reason: 'malformed' });
      } else {
        this.tableFailed('get', error);
      }
      return undefined;
    }
    // TTL deletion is late (and dynalite never deletes): the read decides. expiresAt is
    // authenticated below, so an edited one fails to open rather than extend the entry.
    if (!item || item.pk !== pk || !(item.expiresAt > this.nowSeconds())) return undefined;
    try {
      const accessToken = keys.cipher.open(item.sealedToken, pk, itemAssociatedData(item));
      return {
        accessToken,
        issuedTokenType: item.issuedTokenType,
        tokenType: item.tokenType,
        scope: item.scope,
        expiresAt: item.expiresAt,
      };
    } catch (error) {
      if (!(error instanceof TokenCipherError)) throw error;
      this.record({ type: 'item_rejected', reason: error.reason });
      return undefined;
    }
  }

  private async writeTable(table: CacheTable, keys: CacheKeys, pk: string, token: CachedToken, now: number, replace: boolean): Promise<void> {
    if (this.tableSkipped('put')) return;
    const unsealed = {
      pk,
      expiresAt: token.expiresAt,
      issuedTokenType: token.issuedTokenType,
      tokenType: token.tokenType,
      scope: [...token.scope],
      createdAt: now,
    };
    const item: CacheItem = { ...unsealed, sealedToken: keys.cipher.seal(token.accessToken, pk, itemAssociatedData(unsealed)) };
    try {
      const outcome = await table.put(item, replace ? { onlyIfExpired: false } : { onlyIfExpired: true, nowSeconds: now });
      if (outcome === 'kept-existing') this.record({ type: 'write_conflict' });
    } catch (error) {
      this.tableFailed('put', error);
    }
  }

  private track(write: Promise<void>): void {
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  private tokenOf(issued: IssuedToken, subjectExpiresAt: number | undefined): CachedToken {
    return {
      accessToken: issued.accessToken,
      issuedTokenType: issued.issuedTokenType,
      tokenType: issued.tokenType,
      scope: issued.scope,
      expiresAt: cacheExpiresAt(this.nowSeconds(), issued.expiresIn, subjectExpiresAt, this.options.refreshMarginSeconds, issued.ownExpiresAt),
    };
  }

  private tableSkipped(operation: 'get' | 'put' | 'delete'): boolean {
    if (this.clock() >= this.tableCoolsUntil) return false;
    this.record({ type: 'table_skipped', operation });
    return true;
  }

  private tableFailed(operation: 'get' | 'put' | 'delete', error: unknown): void {
    this.tableCoolsUntil = this.clock() + this.tableCooldownMs;
    const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
    this.record({ type: 'table_error', operation, error: errorName(error), ...(typeof status === 'number' ? { status } : {}) });
  }

  private answer(lookup: CacheLookup): CacheLookup {
    this.record({ type: 'lookup', layer: lookup.layer, shared: lookup.shared });
    return lookup;
  }

  private record(event: CacheEvent): void {
    try {
      this.report(event);
    } catch {
      // a broken sink must not fail a request
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }
}

/**
 * What the seal authenticates besides the token: the pk and every attribute the cache acts
 * on, so no attribute of an item can be edited or moved without the item failing to open.
 */
function itemAssociatedData(item: Omit<CacheItem, 'sealedToken' | 'createdAt'>): Buffer {
  return encodeCanonicalFields([ITEM_DATA_LABEL, item.pk, String(item.expiresAt), item.issuedTokenType, item.tokenType, item.scope]);
}

/** An error's class name (and AWS error code), never its message: nothing from a payload leaks. */
function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code !== error.name ? `${error.name} (${code})` : error.name;
  }
  return typeof error;
}
