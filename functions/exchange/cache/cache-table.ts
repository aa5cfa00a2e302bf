import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CacheTableAttribute as Attribute } from '../../shared/contracts/cache-table.js';

/**
 * The DynamoDB side of the exchange cache: I/O and item (un)marshalling only. Expiry,
 * decryption and the decision to degrade live in exchange-cache.ts.
 *
 * Item (attribute names: CacheTableAttribute; docs/design.md "Cache"):
 * | attribute         | type | meaning |
 * |-------------------|------|---------|
 * | `pk`              | S    | `v1#` + base64url HMAC of the request tuple (partition key) |
 * | `expiresAt`       | N    | epoch seconds; the table's TTL attribute; re-checked on every read |
 * | `sealedToken`     | B    | the issued token, AES-256-GCM sealed (token-cipher.ts) |
 * | `issuedTokenType` | S    | RFC 8693 `issued_token_type` |
 * | `tokenType`       | S    | `Bearer`, or the server's value for other token types |
 * | `scope`           | L(S) | the granted scope |
 * | `createdAt`       | N    | epoch seconds, when the entry was written (informational) |
 */
export interface CacheItem {
  readonly pk: string;
  readonly expiresAt: number;
  readonly sealedToken: Uint8Array;
  readonly issuedTokenType: string;
  readonly tokenType: string;
  readonly scope: readonly string[];
  readonly createdAt: number;
}

export type PutOutcome = 'written' | 'kept-existing';

/** What exchange-cache.ts needs from a table; every method may throw (the cache degrades). */
export interface CacheTable {
  readonly tableName: string;
  /** The item, or undefined when there is none. Throws CacheItemFormatError for an unusable item. */
  get(pk: string): Promise<CacheItem | undefined>;
  /**
   * `onlyIfExpired`: write only when no entry exists or the existing one expired before
   * `nowSeconds`; a live entry is kept (`kept-existing`). `replace`: write unconditionally.
   */
  put(item: CacheItem, mode: { readonly onlyIfExpired: true; readonly nowSeconds: number } | { readonly onlyIfExpired: false }): Promise<PutOutcome>;
  delete(pk: string): Promise<void>;
}

export class CacheItemFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheItemFormatError';
  }
}

/** Attempts per call: one retry covers a throttle or a stale keep-alive socket. */
const MAX_ATTEMPTS = 2;

/**
 * The DynamoDB client for the cache table, created once per container. Timeouts are the
 * point: a blackholed or slow DynamoDB must cost at most `tableTimeoutMs` before the request
 * goes on without the table. `throwOnRequestTimeout` is required for `requestTimeout` to
 * fail the call rather than only log (@smithy/node-http-handler 4.x). The endpoint is the SDK's usual one, or
 * `AWS_ENDPOINT_URL_DYNAMODB` when set.
 */
export function createCacheTableClient(settings: { readonly tableTimeoutMs: number }, config: DynamoDBClientConfig = {}): DynamoDBClient {
  const agentOptions = { keepAlive: true, maxSockets: 50 };
  return new DynamoDBClient({
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: settings.tableTimeoutMs,
      requestTimeout: settings.tableTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
    ...config,
  });
}

export class DynamoCacheTable implements CacheTable {
  /**
   * `timeoutMs` bounds each whole call, retries included (an abort signal on top of the
   * handler's per-attempt timeouts).
   */
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly timeoutMs: number,
  ) {}

  async get(pk: string): Promise<CacheItem | undefined> {
    const { Item } = await this.client.send(
      // consistent: an item written or deleted a moment ago by another container counts
      new GetItemCommand({ TableName: this.tableName, Key: { [Attribute.PartitionKey]: { S: pk } }, ConsistentRead: true }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
    return Item ? itemFromAttributes(Item) : undefined;
  }

  async put(
    item: CacheItem,
    mode: { readonly onlyIfExpired: true; readonly nowSeconds: number } | { readonly onlyIfExpired: false },
  ): Promise<PutOutcome> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: attributesOf(item),
          ...(mode.onlyIfExpired
            ? {
                ConditionExpression: `attribute_not_exists(${Attribute.PartitionKey}) OR ${Attribute.ExpiresAt} < :now`,
                ExpressionAttributeValues: { ':now': { N: String(mode.nowSeconds) } },
              }
            : {}),
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'kept-existing';
      throw error;
    }
  }

  async delete(pk: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { [Attribute.PartitionKey]: { S: pk } } }), {
      abortSignal: AbortSignal.timeout(this.timeoutMs),
    });
  }
}

function attributesOf(item: CacheItem): Record<string, AttributeValue> {
  return {
    [Attribute.PartitionKey]: { S: item.pk },
    [Attribute.ExpiresAt]: { N: String(item.expiresAt) },
    [Attribute.SealedToken]: { B: item.sealedToken },
    [Attribute.IssuedTokenType]: { S: item.issuedTokenType },
    [Attribute.TokenType]: { S: item.tokenType },
    [Attribute.Scope]: { L: item.scope.map((s) => ({ S: s })) },
    [Attribute.CreatedAt]: { N: String(item.createdAt) },
  };
}

function itemFromAttributes(attributes: Record<string, AttributeValue>): CacheItem {
  const string = (name: string): string => {
    const value = attributes[name]?.S;
    if (typeof value !== 'string') throw new CacheItemFormatError(`attribute ${name} is not a string`);
    return value;
  };
  const seconds = (name: string): number => {
    const raw = attributes[name]?.N;
    const value = raw === undefined ? Number.NaN : Number(raw);
    if (!Number.isSafeInteger(value)) throw new CacheItemFormatError(`attribute ${name} is not an integer`);
    return value;
  };
  const sealedToken = attributes[Attribute.SealedToken]?.B;
  if (!(sealedToken instanceof Uint8Array)) throw new CacheItemFormatError('attribute sealedToken is not binary');
  const scopeList = attributes[Attribute.Scope]?.L;
  if (!Array.isArray(scopeList)) throw new CacheItemFormatError('attribute scope is not a list');
  const scope = scopeList.map((entry) => {
    if (typeof entry.S !== 'string') throw new CacheItemFormatError('attribute scope holds a non-string');
    return entry.S;
  });
  return {
    pk: string(Attribute.PartitionKey),
    expiresAt: seconds(Attribute.ExpiresAt),
    sealedToken,
    issuedTokenType: string(Attribute.IssuedTokenType),
    tokenType: string(Attribute.TokenType),
    scope,
    createdAt: seconds(Attribute.CreatedAt),
  };
}
