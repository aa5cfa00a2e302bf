import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingSinks } from '../../support/recording-sinks.js';
import { createExchangeCache } from '../../../functions/exchange/cache/exchange-cache-setup.js';
import { CACHE_KEY_SECRET_ENV, CACHE_TABLE_ENV } from '../../../functions/shared/contracts/environment-variables.js';
import type { CacheKeyTuple, IssuedToken } from '../../../functions/exchange/exchange-model.js';
import { parseConfig } from '../../../functions/shared/config/config-validator.js';
import { ErrorCode } from '../../../functions/shared/errors.js';
import { startDynalite, type LocalDynamo } from '../../../fakes/dynalite.js';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../../fakes/secrets-manager-server.js';

const { settings } = parseConfig({
  version: 1,
  issuers: { partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks' } },
  routes: [{ id: 'r1', method: 'GET', path: '/orders', upstream: 'https://orders.example', acceptedIssuers: ['partner'] }],
});

const KEY_SECRET = 'gatepass/cache-key';
const SHORT_SECRET = 'gatepass/cache-key-short';
const tuple: CacheKeyTuple = {
  subjectToken: 'subject-token',
  authorizationServer: 'corp',
  audience: ['orders-service'],
  resource: [],
  scope: ['orders:read'],
  requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  actor: '',
};

function tokenEndpoint() {
  const endpoint = {
    calls: 0,
    exchange: (): Promise<IssuedToken> => {
      endpoint.calls += 1;
      return Promise.resolve({
        accessToken: `issued-${endpoint.calls}`,
        issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
        tokenType: 'Bearer',
        expiresIn: 300,
        scope: ['orders:read'],
      });
    },
  };
  return endpoint;
}

let dynamo: LocalDynamo;
let secrets: SecretsManagerServer;
let restoreEnv: () => void;

beforeAll(async () => {
  dynamo = await startDynalite();
  secrets = await startSecretsManagerServer({ [KEY_SECRET]: 'z'.repeat(64), [SHORT_SECRET]: 'too-short' });
  // the real SDK clients find both loopback servers through the standard variables
  const previous = { ...process.env };
  Object.assign(process.env, dynamo.env, secrets.env);
  restoreEnv = () => {
    for (const name of Object.keys(process.env)) if (!(name in previous)) Reflect.deleteProperty(process.env, name);
    Object.assign(process.env, previous);
  };
});

afterAll(async () => {
  restoreEnv();
  dynamo.client.destroy();
  await dynamo.stop();
  await secrets.stop();
});

/** The sinks for createExchangeCache, and the lines written to them. */
function recorder() {
  const sinks = new RecordingSinks();
  return { lines: sinks.lines, sinks: { log: sinks.log, metrics: sinks.metrics } };
}

describe('exchange cache built from the environment', () => {
  it('shares entries between containers through the table, reading the key secret once per container', async () => {
    const env = { [CACHE_TABLE_ENV]: dynamo.tableName, [CACHE_KEY_SECRET_ENV]: KEY_SECRET };
    secrets.resetCounters();
    const first = recorder();
    const containerA = createExchangeCache({ settings, env, ...first.sinks });
    expect(first.lines).toEqual([{ level: 'info', message: 'cache.init', fields: { type: 'init', mode: 'memory-and-table', tableName: dynamo.tableName, memoryMaxEntries: 1000 } }]);

    const endpoint = tokenEndpoint();
    await containerA.getOrExchange(tuple, undefined, endpoint.exchange);
    await containerA.getOrExchange({ ...tuple, subjectToken: 'another' }, undefined, endpoint.exchange);
    await containerA.flush();

    const containerB = createExchangeCache({ settings, env });
    const lookup = await containerB.getOrExchange(tuple, undefined, endpoint.exchange);
    expect(lookup).toMatchObject({ layer: 'table', token: { accessToken: 'issued-1' } });
    expect(endpoint.calls).toBe(2);
    expect(secrets.requests.bySecret.get(KEY_SECRET)).toBe(2);
  });

  it('refuses with gateway_misconfigured when the key secret is shorter than 32 characters', async () => {
    const cache = createExchangeCache({ settings, env: { [CACHE_TABLE_ENV]: dynamo.tableName, [CACHE_KEY_SECRET_ENV]: SHORT_SECRET } });
    await expect(cache.getOrExchange(tuple, undefined, tokenEndpoint().exchange)).rejects.toMatchObject({ code: ErrorCode.GatewayMisconfigured });
  });

  it('refuses with gateway_misconfigured when the key secret does not exist', async () => {
    const cache = createExchangeCache({ settings, env: { [CACHE_TABLE_ENV]: dynamo.tableName, [CACHE_KEY_SECRET_ENV]: 'gatepass/absent' } });
    await expect(cache.getOrExchange(tuple, undefined, tokenEndpoint().exchange)).rejects.toMatchObject({ code: ErrorCode.GatewayMisconfigured });
  });

  it('exchanges directly while Secrets Manager refuses to answer, and recovers later', async () => {
    let now = Date.now();
    // two answers: the one read and its SDK retry
    secrets.fail({ type: 'InternalServiceError', status: 500 }, 2, KEY_SECRET);
    const { lines, sinks } = recorder();
    const cache = createExchangeCache({
      settings,
      env: { [CACHE_TABLE_ENV]: dynamo.tableName, [CACHE_KEY_SECRET_ENV]: KEY_SECRET },
      ...sinks,
      clock: () => now,
    });
    const endpoint = tokenEndpoint();
    await expect(cache.getOrExchange(tuple, undefined, endpoint.exchange)).resolves.toMatchObject({ layer: 'miss' });
    expect(lines.map((l) => l.fields)).toContainEqual({ type: 'key_unavailable', error: 'CacheKeyUnavailableError' });

    now += 11_000;
    await expect(cache.getOrExchange(tuple, undefined, endpoint.exchange)).resolves.toMatchObject({ layer: 'table' });
  });

  it('runs memory-only with a random key when no table is configured', async () => {
    const { lines, sinks } = recorder();
    secrets.resetCounters();
    const cache = createExchangeCache({ settings, env: { [CACHE_KEY_SECRET_ENV]: KEY_SECRET }, ...sinks });
    const endpoint = tokenEndpoint();
    await cache.getOrExchange(tuple, undefined, endpoint.exchange);
    expect((await cache.getOrExchange(tuple, undefined, endpoint.exchange)).layer).toBe('memory');
    expect(lines[0]).toMatchObject({ level: 'info', message: 'cache.init', fields: { type: 'init', mode: 'memory-only', reason: `${CACHE_TABLE_ENV} is not set`, warning: false } });
    expect(secrets.requests.total).toBe(0);
  });

  it('leaves the table alone, with a warning, when the key secret is not configured', async () => {
    const { lines, sinks } = recorder();
    const cache = createExchangeCache({ settings, env: { [CACHE_TABLE_ENV]: dynamo.tableName }, ...sinks });
    await cache.getOrExchange({ ...tuple, subjectToken: 'memory-only' }, undefined, tokenEndpoint().exchange);
    await cache.flush();
    expect(lines[0]).toMatchObject({ level: 'warn', message: 'cache.init', fields: { type: 'init', mode: 'memory-only', warning: true } });
    const fresh = createExchangeCache({ settings, env: { [CACHE_TABLE_ENV]: dynamo.tableName, [CACHE_KEY_SECRET_ENV]: KEY_SECRET } });
    expect((await fresh.getOrExchange({ ...tuple, subjectToken: 'memory-only' }, undefined, tokenEndpoint().exchange)).layer).toBe('miss');
  });
});
