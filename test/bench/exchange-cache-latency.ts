/**
 * Measures the exchange cache on this machine (prints, asserts nothing):
 *   npx tsx test/bench/exchange-cache-latency.ts
 * - memory hit: getOrExchange on a cached entry (pk HMAC over a 1 KB subject token + LRU read);
 * - table hit: a new ExchangeCache (a new container) reading the entry from dynalite over
 *   loopback (GetItem + decrypt), keep-alive client as in Lambda;
 * - table write: the conditional PutItem after a miss (what flush() waits for).
 */
import { randomBytes } from 'node:crypto';
import { CacheKeys } from '../../functions/exchange/cache-key.js';
import { fixedCacheKeySource } from '../../functions/exchange/cache-key-source.js';
import { createCacheTableClient, DynamoCacheTable } from '../../functions/exchange/cache-table.js';
import { ExchangeCache } from '../../functions/exchange/exchange-cache.js';
import type { CacheKeyTuple, IssuedToken } from '../../functions/exchange/exchange-model.js';
import { localAwsEnv, startDynalite } from '../support/dynalite.js';

const keys = CacheKeys.fromMaterial('bench-material-'.padEnd(64, 'b'));
const subject = randomBytes(768).toString('base64url'); // ≈ 1 KB, a typical JWT
const tupleFor = (n: number): CacheKeyTuple => ({
  subjectToken: `${subject}.${n}`,
  authorizationServer: 'corp',
  audience: ['orders-service'],
  resource: ['https://orders.internal.example'],
  scope: ['orders:read', 'orders:list'],
  requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  actor: '',
});
const issued: IssuedToken = {
  accessToken: randomBytes(600).toString('base64url'),
  issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  tokenType: 'Bearer',
  expiresIn: 3600,
  scope: ['orders:read'],
};
const exchange = () => Promise.resolve(issued);

function summary(label: string, samplesMs: number[], unit: 'µs' | 'ms'): void {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const scale = unit === 'µs' ? 1000 : 1;
  const f = (v: number) => (v * scale).toFixed(unit === 'µs' ? 1 : 2);
  console.log(`${label.padEnd(34)} median ${f(at(0.5))} ${unit}  p90 ${f(at(0.9))} ${unit}  p99 ${f(at(0.99))} ${unit}  (n=${sorted.length})`);
}

const dynamo = await startDynalite();
const client = createCacheTableClient(
  { tableTimeoutMs: 500 },
  {
    endpoint: dynamo.endpoint,
    region: localAwsEnv['AWS_REGION']!,
    credentials: { accessKeyId: localAwsEnv['AWS_ACCESS_KEY_ID']!, secretAccessKey: localAwsEnv['AWS_SECRET_ACCESS_KEY']! },
  },
);
const table = new DynamoCacheTable(client, dynamo.tableName, 500);
const newContainer = () => new ExchangeCache({ keys: fixedCacheKeySource(keys), table, memoryMaxEntries: 1000, refreshMarginSeconds: 30 });

// pk derivation and sealing alone
{
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i += 1) {
    const t = performance.now();
    keys.pkOf(tupleFor(i % 100));
    samples.push(performance.now() - t);
  }
  summary('pk (canonical + HMAC, 1 KB token)', samples.slice(5_000), 'µs');
  const seal: number[] = [];
  const open: number[] = [];
  for (let i = 0; i < 10_000; i += 1) {
    let t = performance.now();
    const sealed = keys.cipher.seal(issued.accessToken, 'v1#pk', Buffer.from('aad'));
    seal.push(performance.now() - t);
    t = performance.now();
    keys.cipher.open(sealed, 'v1#pk', Buffer.from('aad'));
    open.push(performance.now() - t);
  }
  summary('seal (HKDF entry key + GCM)', seal.slice(2_000), 'µs');
  summary('open (HKDF entry key + GCM)', open.slice(2_000), 'µs');
}

// memory hits
{
  const cache = newContainer();
  for (let i = 0; i < 100; i += 1) await cache.getOrExchange(tupleFor(i), undefined, exchange);
  await cache.flush();
  const samples: number[] = [];
  for (let i = 0; i < 50_000; i += 1) {
    const t = performance.now();
    const lookup = await cache.getOrExchange(tupleFor(i % 100), undefined, exchange);
    samples.push(performance.now() - t);
    if (lookup.layer !== 'memory') throw new Error('expected a memory hit');
  }
  summary('memory hit', samples.slice(10_000), 'µs');
}

// table hits (each from a new container) and table writes
{
  const samples: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    for (let i = 0; i < 100; i += 1) {
      const cache = newContainer();
      const t = performance.now();
      const lookup = await cache.getOrExchange(tupleFor(i), undefined, exchange);
      samples.push(performance.now() - t);
      if (lookup.layer !== 'table') throw new Error('expected a table hit');
    }
  }
  summary('table hit (GetItem + open, loopback)', samples.slice(50), 'ms');

  const writes: number[] = [];
  const cache = newContainer();
  for (let i = 1000; i < 1300; i += 1) {
    await cache.getOrExchange(tupleFor(i), undefined, exchange);
    const t = performance.now();
    await cache.flush();
    writes.push(performance.now() - t);
  }
  summary('table write (conditional PutItem)', writes.slice(50), 'ms');
}

client.destroy();
dynamo.client.destroy();
await dynamo.stop();
