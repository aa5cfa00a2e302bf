/**
 * A real DynamoDB wire-protocol server for tests: dynalite, in memory, on 127.0.0.1 and an
 * ephemeral port. It creates the gatepass cache table (`pk` string hash key, the table the
 * stack creates) and hands back a client pointed at it.
 *
 * dynalite has no TTL (expired items stay forever), which is exactly why gatepass re-checks
 * `expiresAt` on every read. `stop()` and `restart()` let a test take DynamoDB away and bring
 * it back on the same port; a restarted dynalite is empty (the cache table is created again).
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { listenOnLoopback } from './loopback-server.js';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

const CACHE_TABLE_NAME = 'gatepass-cache';

export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  readonly port: number;
  readonly tableName: string;
  /** A plain client for the test's own reads and writes (not the one gatepass builds). */
  readonly client: DynamoDBClient;
  /** Environment a process needs to reach this server through the standard SDK variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Closes the server and every open connection: from now on connections are refused. */
  stop(): Promise<void>;
  /** Listens again on the same port with an empty store and re-creates the cache table. */
  restart(): Promise<void>;
  createTable(name: string): Promise<void>;
}

export interface StartDynaliteOptions {
  /** Cache table name; default `gatepass-cache`. */
  readonly tableName?: string;
  /** Skip creating the cache table. */
  readonly withoutTable?: boolean;
}

/** Dummy credentials and region: the SDK signs every request, dynalite ignores the signature. */
export const localAwsEnv: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
  AWS_SECRET_ACCESS_KEY: 'local-test-secret',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export async function startDynalite(options: StartDynaliteOptions = {}): Promise<LocalDynamo> {
  const tableName = options.tableName ?? CACHE_TABLE_NAME;
  let server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // Always the loopback host: dynalite's default listens on every interface.
  const endpoint = await listenOnLoopback(server, 0);
  const port = Number(new URL(endpoint).port);
  const client = new DynamoDBClient({
    endpoint,
    region: localAwsEnv['AWS_REGION'],
    credentials: { accessKeyId: localAwsEnv['AWS_ACCESS_KEY_ID']!, secretAccessKey: localAwsEnv['AWS_SECRET_ACCESS_KEY']! },
    // a restart leaves stale keep-alive sockets in the pool: retrying once on a new one is enough
    maxAttempts: 3,
  });

  const createTable = async (name: string): Promise<void> => {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let i = 0; i < 100; i += 1) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      if (Table?.TableStatus === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`dynalite table ${name} did not become ACTIVE`);
  };

  if (!options.withoutTable) await createTable(tableName);

  let running = true;
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    // keep-alive sockets would hold close() open; a stopped DynamoDB drops them
    server.closeAllConnections();
    await closed;
  };

  const restart = async (): Promise<void> => {
    await stop();
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await listenOnLoopback(server, port);
    running = true;
    if (!options.withoutTable) await createTable(tableName);
  };

  return {
    endpoint,
    port,
    tableName,
    client,
    env: { ...localAwsEnv, AWS_ENDPOINT_URL_DYNAMODB: endpoint },
    stop: async () => {
      await stop();
    },
    restart,
    createTable,
  };
}
