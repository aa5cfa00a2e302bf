import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CacheKeys } from '../../../functions/exchange/cache/cache-key.js';
import { fixedCacheKeySource } from '../../../functions/exchange/cache/cache-key-source.js';
import { createCacheTableClient, DynamoCacheTable, type CacheTable } from '../../../functions/exchange/cache/cache-table.js';
import { MetricName } from '../../../functions/shared/contracts/metric-names.js';
import { RecordingSinks } from '../../support/recording-sinks.js';
import { ExchangeCache } from '../../../functions/exchange/cache/exchange-cache.js';
import type { CacheKeyTuple, IssuedToken } from '../../../functions/exchange/exchange-model.js';
import { localAwsEnv, startDynalite, type LocalDynamo } from '../../../fakes/dynalite.js';

const START = Date.UTC(2030, 0, 1) / 1000;
const material = 'cache-key-material-for-tests-'.padEnd(64, 'x');
const keys = CacheKeys.fromMaterial(material);
const TIMEOUT_MS = 500;

function tupleFor(subjectToken: string): CacheKeyTuple {
  return {
    subjectToken,
    authorizationServer: 'corp',
    audience: ['orders-service'],
    resource: ['https://orders.internal.example'],
    scope: ['orders:read'],
    requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    actor: '',
  };
}

function tokenEndpoint(prefix = 'issued', expiresIn = 300) {
  const endpoint = {
    calls: 0,
    exchange: async (): Promise<IssuedToken> => {
      endpoint.calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return {
        accessToken: `${prefix}-${endpoint.calls}`,
        issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
        tokenType: 'Bearer',
        expiresIn,
        scope: ['orders:read'],
      };
    },
  };
  return endpoint;
}

/** Counts the SDK commands a client really sends. */
function countCommands(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName ?? '?', (counts.get(context.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'gatepassTestCommandCounter' },
  );
  return counts;
}

interface Container {
  readonly cache: ExchangeCache;
  readonly client: DynamoDBClient;
  readonly commands: Map<string, number>;
  readonly telemetry: RecordingSinks;
  readonly clock: { seconds: number };
}

let dynamo: LocalDynamo;
const clients: DynamoDBClient[] = [];

/** A fresh ExchangeCache with its own DynamoDB client: what a new Lambda container has. */
function container(options: { seconds?: number; endpoint?: string; table?: (table: CacheTable) => CacheTable; client?: DynamoDBClient } = {}): Container {
  const clock = { seconds: options.seconds ?? START };
  const client =
    options.client ??
    createCacheTableClient(
      { tableTimeoutMs: TIMEOUT_MS },
      {
        endpoint: options.endpoint ?? dynamo.endpoint,
        region: localAwsEnv['AWS_REGION']!,
        credentials: { accessKeyId: localAwsEnv['AWS_ACCESS_KEY_ID']!, secretAccessKey: localAwsEnv['AWS_SECRET_ACCESS_KEY']! },
      },
    );
  clients.push(client);
  const commands = countCommands(client);
  const telemetry = new RecordingSinks();
  const table = new DynamoCacheTable(client, dynamo.tableName, TIMEOUT_MS);
  const cache = new ExchangeCache({
    keys: fixedCacheKeySource(keys),
    table: options.table ? options.table(table) : table,
    memoryMaxEntries: 100,
    refreshMarginSeconds: 30,
    clock: () => clock.seconds * 1000,
    log: telemetry.log,
    metrics: telemetry.metrics,
  });
  return { cache, client, commands, telemetry, clock };
}

async function storedItem(subject: string): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await dynamo.client.send(
    new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: keys.pkOf(tupleFor(subject)) } }, ConsistentRead: true }),
  );
  return Item;
}

async function writeItem(item: Record<string, AttributeValue>): Promise<void> {
  await dynamo.client.send(new PutItemCommand({ TableName: dynamo.tableName, Item: item }));
}

/** Caches a token for `subject` through one container and waits for its table write. */
async function cachedThroughContainer(subject: string, seconds = START): Promise<Container> {
  const writer = container({ seconds });
  await writer.cache.getOrExchange(tupleFor(subject), undefined, tokenEndpoint('first').exchange);
  await writer.cache.flush();
  return writer;
}

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  dynamo.client.destroy();
  await dynamo.stop();
});

beforeEach(async () => {
  const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));
  for (const item of Items) await dynamo.client.send(new DeleteItemCommand({ TableName: dynamo.tableName, Key: { pk: item['pk']! } }));
});

describe('exchange cache with a DynamoDB table (dynalite on 127.0.0.1)', () => {
  it('answers a new container from the table with exactly one GetItem and no exchange', async () => {
    await cachedThroughContainer('alice');
    const fresh = container();
    const endpoint = tokenEndpoint('second');

    const lookup = await fresh.cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect(lookup).toMatchObject({ layer: 'table', shared: false, token: { accessToken: 'first-1', expiresAt: START + 270, scope: ['orders:read'] } });
    expect(fresh.commands.get('GetItemCommand')).toBe(1);
    expect(endpoint.calls).toBe(0);

    const again = await fresh.cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect(again.layer).toBe('memory');
    expect(fresh.commands.get('GetItemCommand')).toBe(1);
    expect(fresh.commands.get('PutItemCommand')).toBeUndefined();
  });

  it('stores the documented item: sealed token, TTL attribute, metadata, and no subject token', async () => {
    await cachedThroughContainer('subject-canary-value');
    const item = await storedItem('subject-canary-value');
    expect(item).toBeDefined();
    expect(Object.keys(item!).sort()).toEqual(['createdAt', 'expiresAt', 'issuedTokenType', 'pk', 'scope', 'sealedToken', 'tokenType']);
    expect(item!['pk']!.S).toMatch(/^v1#[A-Za-z0-9_-]{43}$/);
    expect(item!['expiresAt']!.N).toBe(String(START + 270));
    expect(item!['createdAt']!.N).toBe(String(START));
    expect(item!['tokenType']!.S).toBe('Bearer');
    expect(item!['scope']!.L).toEqual([{ S: 'orders:read' }]);
    const raw = Buffer.from(JSON.stringify(item, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)));
    expect(raw.includes('first-1')).toBe(false);
    expect(raw.includes('subject-canary-value')).toBe(false);
  });

  it('ignores a table item whose expiresAt has passed, though DynamoDB has not deleted it', async () => {
    await cachedThroughContainer('alice', START - 1000); // expires at START - 730
    expect(await storedItem('alice')).toBeDefined();
    const reader = container();
    const endpoint = tokenEndpoint('second');

    const lookup = await reader.cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    await reader.cache.flush();
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'second-1' } });
    expect(reader.telemetry.fieldsOf('cache.item_rejected')).toEqual([]);
    expect(reader.telemetry.count(MetricName.CacheWriteConflict)).toBe(0);
    // the conditional put replaces an expired entry
    expect((await storedItem('alice'))!['expiresAt']!.N).toBe(String(START + 270));
  });

  it('treats a tampered sealed token as a miss with a decrypt-failure event', async () => {
    await cachedThroughContainer('alice');
    const item = (await storedItem('alice'))!;
    const sealed = Buffer.from(item['sealedToken']!.B!);
    sealed[sealed.byteLength - 1]! ^= 0x01;
    await writeItem({ ...item, sealedToken: { B: sealed } });

    const reader = container();
    const endpoint = tokenEndpoint('second');
    const lookup = await reader.cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'second-1' } });
    expect(reader.telemetry.fieldsOf('cache.item_rejected')).toContainEqual({ type: 'item_rejected', reason: 'authentication_failed' });
  });

  it('treats an item copied to another pk as a miss', async () => {
    await cachedThroughContainer('alice');
    const item = (await storedItem('alice'))!;
    await writeItem({ ...item, pk: { S: keys.pkOf(tupleFor('mallory')) } });

    const reader = container();
    const endpoint = tokenEndpoint('second');
    const lookup = await reader.cache.getOrExchange(tupleFor('mallory'), undefined, endpoint.exchange);
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'second-1' } });
    expect(reader.telemetry.fieldsOf('cache.item_rejected')).toContainEqual({ type: 'item_rejected', reason: 'authentication_failed' });
  });

  it('refuses an item whose expiresAt, scope or token type was edited', async () => {
    await cachedThroughContainer('alice');
    const item = (await storedItem('alice'))!;
    const edits: Record<string, AttributeValue>[] = [
      { expiresAt: { N: String(START + 86_400) } },
      { scope: { L: [{ S: 'orders:read' }, { S: 'orders:admin' }] } },
      { tokenType: { S: 'DPoP' } },
    ];
    for (const edit of edits) {
      await writeItem({ ...item, ...edit });
      const reader = container();
      const lookup = await reader.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint('second').exchange);
      expect(lookup.layer).toBe('miss');
      expect(reader.telemetry.fieldsOf('cache.item_rejected')).toContainEqual({ type: 'item_rejected', reason: 'authentication_failed' });
    }
  });

  it('treats an item with missing or mistyped attributes as a miss', async () => {
    await cachedThroughContainer('alice');
    const item = (await storedItem('alice'))!;
    const { sealedToken: _dropped, ...withoutToken } = item;
    await writeItem(withoutToken);
    const reader = container();
    const lookup = await reader.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint('second').exchange);
    expect(lookup.layer).toBe('miss');
    expect(reader.telemetry.fieldsOf('cache.item_rejected')).toContainEqual({ type: 'item_rejected', reason: 'malformed' });
  });

  it('does not overwrite a live entry that another container wrote meanwhile', async () => {
    const slow = container();
    const other = container();
    const lookup = await slow.cache.getOrExchange(tupleFor('alice'), undefined, async () => {
      // between this container's GetItem (a miss) and its PutItem, another one caches first
      await other.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint('other').exchange);
      await other.cache.flush();
      return tokenEndpoint('slow').exchange();
    });
    await slow.cache.flush();

    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'slow-1' } });
    expect(slow.telemetry.count(MetricName.CacheWriteConflict)).toBe(1);
    const reader = container();
    const fromTable = await reader.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint('never').exchange);
    expect(fromTable).toMatchObject({ layer: 'table', token: { accessToken: 'other-1' } });
  });

  it('makes 100 concurrent identical misses share one GetItem, one exchange and one PutItem', async () => {
    const fresh = container();
    const endpoint = tokenEndpoint();
    const results = await Promise.all(Array.from({ length: 100 }, () => fresh.cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange)));
    await fresh.cache.flush();
    expect(endpoint.calls).toBe(1);
    expect(new Set(results.map((r) => r.token.accessToken)).size).toBe(1);
    expect(fresh.commands.get('GetItemCommand')).toBe(1);
    expect(fresh.commands.get('PutItemCommand')).toBe(1);
  });

  it('evicts from memory and table, and the next lookup exchanges without reading the table', async () => {
    const writer = await cachedThroughContainer('alice');
    await writer.cache.evict(tupleFor('alice'));
    expect(await storedItem('alice')).toBeUndefined();

    const getsBefore = writer.commands.get('GetItemCommand') ?? 0;
    const endpoint = tokenEndpoint('second');
    const lookup = await writer.cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    await writer.cache.flush();
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'second-1' } });
    expect(writer.commands.get('GetItemCommand') ?? 0).toBe(getsBefore);
    await expect(container().cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint('never').exchange)).resolves.toMatchObject({
      layer: 'table',
      token: { accessToken: 'second-1' },
    });
  });

  it('replaces the refused token in the table even when the evicting delete failed', async () => {
    await cachedThroughContainer('alice');
    const failingDelete = (table: CacheTable): CacheTable => ({
      tableName: table.tableName,
      get: (pk) => table.get(pk),
      put: (item, mode) => table.put(item, mode),
      delete: () => Promise.reject(Object.assign(new Error('delete refused'), { name: 'InternalServerError' })),
    });
    const refused = container({ table: failingDelete });
    expect((await refused.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint('never').exchange)).layer).toBe('table');

    refused.clock.seconds += 10; // past the table cooldown the failed delete starts
    await refused.cache.evict(tupleFor('alice'));
    expect(refused.telemetry.fieldsOf('cache.table_error')).toContainEqual({ type: 'table_error', operation: 'delete', error: 'InternalServerError' });
    refused.clock.seconds += 10;
    const lookup = await refused.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint('second').exchange);
    await refused.cache.flush();
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'second-1' } });
    await expect(container().cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint('never').exchange)).resolves.toMatchObject({
      token: { accessToken: 'second-1' },
    });
  });
});

describe('exchange cache when DynamoDB fails', () => {
  afterEach(async () => {
    // a test that stopped dynalite leaves it stopped; bring it back for the next one
    await dynamo.restart();
  });

  it('exchanges directly while DynamoDB is down, with a warning event, and uses the table again once it is back', async () => {
    const cut = container();
    await dynamo.stop();
    const endpoint = tokenEndpoint();

    const lookup = await cut.cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
    await cut.cache.flush();
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'issued-1' } });
    const errors = cut.telemetry.fieldsOf('cache.table_error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ operation: 'get' });
    // the put right after is skipped: one timeout per cooldown, not one per call
    expect(cut.telemetry.count(MetricName.CacheTableSkipped)).toBe(1);

    await dynamo.restart();
    cut.clock.seconds += 6;
    const bob = await cut.cache.getOrExchange(tupleFor('bob'), undefined, endpoint.exchange);
    await cut.cache.flush();
    expect(bob.layer).toBe('miss');
    expect(await storedItem('bob')).toBeDefined();
  });

  it('gives up on a DynamoDB that accepts connections but never answers, after the table timeout', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const stuck = container({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` });
    const endpoint = tokenEndpoint();
    try {
      const started = performance.now();
      const lookup = await stuck.cache.getOrExchange(tupleFor('alice'), undefined, endpoint.exchange);
      const elapsed = performance.now() - started;
      expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'issued-1' } });
      const [error] = stuck.telemetry.fieldsOf('cache.table_error');
      expect(error).toMatchObject({ operation: 'get' });
      expect(['AbortError', 'TimeoutError']).toContain((error as { error: string }).error.split(' ')[0]);
      console.info(`blackholed DynamoDB: lookup answered after ${elapsed.toFixed(0)} ms (table timeout ${TIMEOUT_MS} ms)`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('exchanges directly when DynamoDB throttles the read', async () => {
    const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(client);
    mock.on(GetItemCommand).rejects(awsError('ThrottlingException', 400));
    mock.on(PutItemCommand).resolves({});
    const throttled = container({ client });
    const lookup = await throttled.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint().exchange);
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'issued-1' } });
    expect(throttled.telemetry.fieldsOf('cache.table_error')).toContainEqual({ type: 'table_error', operation: 'get', error: 'ThrottlingException', status: 400 });
    mock.restore();
  });

  it('answers and settles its writes when DynamoDB denies access', async () => {
    const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(client);
    mock.on(GetItemCommand).resolves({});
    mock.on(PutItemCommand).rejects(awsError('AccessDeniedException', 400));
    const denied = container({ client });
    const lookup = await denied.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint().exchange);
    await expect(denied.cache.flush()).resolves.toBeUndefined();
    expect(lookup).toMatchObject({ layer: 'miss', token: { accessToken: 'issued-1' } });
    expect(denied.telemetry.fieldsOf('cache.table_error')).toContainEqual({ type: 'table_error', operation: 'put', error: 'AccessDeniedException', status: 400 });
    // the memory layer still works
    expect((await denied.cache.getOrExchange(tupleFor('alice'), undefined, tokenEndpoint().exchange)).layer).toBe('memory');
    mock.restore();
  });
});

function awsError(name: string, status: number): DynamoDBServiceException {
  return new DynamoDBServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} from the test` });
}
