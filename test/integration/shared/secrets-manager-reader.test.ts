import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../../fakes/secrets-manager-server.js';
import { ErrorCode } from '../../../functions/shared/errors.js';
import { lazySecretsManagerReader } from '../../../functions/shared/secrets/lazy-secrets-manager-reader.js';
import { SecretReadError, SecretReadFailure, type SecretsManagerReaderOptions } from '../../../functions/shared/secrets/secret-reader.js';
import { secretsManagerReader } from '../../../functions/shared/secrets/secrets-manager-reader.js';
import { startStalledListener } from '../../support/stalled-listener.js';

const SECRET_ID = 'gatepass/reader-test';
const CANARY = 'canary-secret-value-7f3a';
const bounds: SecretsManagerReaderOptions = { maxAgeSeconds: 300, connectTimeoutMs: 500, requestTimeoutMs: 1_000, deadlineMs: 2_000 };

let sm: SecretsManagerServer;
let restoreEnv: () => void;

beforeAll(async () => {
  sm = await startSecretsManagerServer();
  restoreEnv = sm.applyEnv();
});

afterAll(async () => {
  restoreEnv();
  await sm.stop();
});

beforeEach(() => {
  sm.put(SECRET_ID, 'first-value');
  sm.clearFaults();
  sm.resetCounters();
});

afterEach(() => {
  vi.useRealTimers();
});

async function failureOf(promise: Promise<unknown>): Promise<SecretReadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretReadError);
  return error as SecretReadError;
}

/** Everything an operator could see of an error: message, string form, JSON, and the full inspection with causes. */
const everyRendering = (error: unknown) => [String(error), (error as Error).message, JSON.stringify(error), inspect(error, { depth: 10 })].join('\n');

describe('Secrets Manager reader (Powertools SecretsProvider, SDK client with bounded timeouts)', () => {
  it('reads through AWS_ENDPOINT_URL_SECRETS_MANAGER and shares one call between concurrent readers', async () => {
    const read = secretsManagerReader(bounds);
    const values = await Promise.all(Array.from({ length: 10 }, () => read(SECRET_ID, { forceFetch: false })));
    expect(new Set(values)).toEqual(new Set(['first-value']));
    expect(sm.requests.total).toBe(1);
  });

  it('sees a changed secret after its max age, and not before', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const read = secretsManagerReader({ ...bounds, maxAgeSeconds: 60 });
    expect(await read(SECRET_ID, { forceFetch: false })).toBe('first-value');
    sm.rotate(SECRET_ID, 'second-value');

    vi.setSystemTime(Date.now() + 59_000);
    expect(await read(SECRET_ID, { forceFetch: false })).toBe('first-value');
    expect(sm.requests.total).toBe(1);

    vi.setSystemTime(Date.now() + 2_000);
    expect(await read(SECRET_ID, { forceFetch: false })).toBe('second-value');
    expect(sm.requests.total).toBe(2);
  });

  it('reads every time with a max age of 0', async () => {
    const read = secretsManagerReader({ ...bounds, maxAgeSeconds: 0 });
    await read(SECRET_ID, { forceFetch: false });
    await read(SECRET_ID, { forceFetch: false });
    expect(sm.requests.total).toBe(2);
  });

  it('reads past the cache when forced (rotation), and later reads keep the new value', async () => {
    const read = secretsManagerReader(bounds);
    await read(SECRET_ID, { forceFetch: false });
    sm.rotate(SECRET_ID, 'rotated-value');
    expect(await read(SECRET_ID, { forceFetch: false })).toBe('first-value');
    expect(await read(SECRET_ID, { forceFetch: true })).toBe('rotated-value');
    expect(await read(SECRET_ID, { forceFetch: false })).toBe('rotated-value');
    expect(sm.requests.total).toBe(2);
  });

  it('maps a missing secret and a denied read to permanent failures (gateway_misconfigured)', async () => {
    const read = secretsManagerReader(bounds);
    const missing = await failureOf(read('gatepass/does-not-exist', { forceFetch: false }));
    expect(missing).toMatchObject({ failure: SecretReadFailure.NotFound, code: ErrorCode.GatewayMisconfigured, transient: false, secretId: 'gatepass/does-not-exist' });
    expect(missing.message).toBe('secret gatepass/does-not-exist could not be read: not_found (ResourceNotFoundException)');

    sm.fail({ type: 'AccessDeniedException' }, 1, SECRET_ID);
    expect(await failureOf(read(SECRET_ID, { forceFetch: true }))).toMatchObject({ failure: SecretReadFailure.AccessDenied, code: ErrorCode.GatewayMisconfigured });
  });

  it('maps throttling and service errors to a passing failure (exchange_unavailable)', async () => {
    const read = secretsManagerReader(bounds);
    sm.fail({ type: 'ThrottlingException' }, 2, SECRET_ID);
    expect(await failureOf(read(SECRET_ID, { forceFetch: false }))).toMatchObject({ failure: SecretReadFailure.Unavailable, code: ErrorCode.ExchangeUnavailable, transient: true });
    sm.fail({ type: 'InternalServiceError', status: 500 }, 2, SECRET_ID);
    expect(await failureOf(read(SECRET_ID, { forceFetch: false }))).toMatchObject({ failure: SecretReadFailure.Unavailable });
  });

  it('refuses a binary secret as not text', async () => {
    const read = secretsManagerReader(bounds);
    sm.put('gatepass/empty', '');
    expect(await failureOf(read('gatepass/empty', { forceFetch: false }))).toMatchObject({ failure: SecretReadFailure.NotText, code: ErrorCode.GatewayMisconfigured });
  });

  it('ends a read that is accepted and never answered at its request timeout, as a timeout failure', async () => {
    const read = secretsManagerReader({ ...bounds, requestTimeoutMs: 300, deadlineMs: 5_000 });
    sm.stall(5, SECRET_ID);
    const started = Date.now();
    const failure = await failureOf(read(SECRET_ID, { forceFetch: false }));
    expect(failure).toMatchObject({ failure: SecretReadFailure.Timeout, code: ErrorCode.ExchangeUnavailable, transient: true });
    // Two SDK attempts of 300 ms each, with a generous margin: bounded, not measured.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('ends a read at its overall deadline whatever the SDK is still waiting for', async () => {
    const read = secretsManagerReader({ ...bounds, requestTimeoutMs: 10_000, deadlineMs: 300 });
    sm.stall(5, SECRET_ID);
    const started = Date.now();
    const failure = await failureOf(read(SECRET_ID, { forceFetch: false }));
    expect(failure).toMatchObject({ failure: SecretReadFailure.Timeout });
    expect(failure.message).toBe(`secret ${SECRET_ID} could not be read: timeout (no answer within 300 ms)`);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('ends a read whose connection is never accepted at its connect timeout', async () => {
    const stalled = await startStalledListener();
    const restore = process.env['AWS_ENDPOINT_URL_SECRETS_MANAGER'];
    process.env['AWS_ENDPOINT_URL_SECRETS_MANAGER'] = `http://127.0.0.1:${stalled.port}`;
    try {
      const read = secretsManagerReader({ ...bounds, connectTimeoutMs: 200, deadlineMs: 5_000 });
      const started = Date.now();
      expect(await failureOf(read(SECRET_ID, { forceFetch: false }))).toMatchObject({ failure: SecretReadFailure.Timeout });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      process.env['AWS_ENDPOINT_URL_SECRETS_MANAGER'] = restore;
      stalled.close();
    }
  });

  it('loads lazily and reads the same way', async () => {
    const read = lazySecretsManagerReader(bounds);
    expect(await read(SECRET_ID, { forceFetch: false })).toBe('first-value');
  });

  it('refuses bounds that are not whole positive numbers', () => {
    expect(() => secretsManagerReader({ ...bounds, deadlineMs: 0 })).toThrow(TypeError);
    expect(() => secretsManagerReader({ ...bounds, maxAgeSeconds: -1 })).toThrow(TypeError);
  });
});

describe('Secrets Manager reader never repeats a secret value in an error', () => {
  let malformed: Server;
  let malformedEndpoint: string;

  beforeAll(async () => {
    // Answers 200 with a body that is almost JSON and holds the value: V8's parse error quotes its input.
    malformed = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const body = `{"Name":"${SECRET_ID}","SecretString":"${CANARY}" "VersionId":"x"}`;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => malformed.listen(0, '127.0.0.1', resolve));
    malformedEndpoint = `http://127.0.0.1:${(malformed.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    malformed.closeAllConnections();
    await new Promise<void>((resolve) => malformed.close(() => resolve()));
  });

  it('drops the parse error of an answer that holds the value but is not JSON', async () => {
    const restore = process.env['AWS_ENDPOINT_URL_SECRETS_MANAGER'];
    process.env['AWS_ENDPOINT_URL_SECRETS_MANAGER'] = malformedEndpoint;
    try {
      const read = secretsManagerReader(bounds);
      const failure = await failureOf(read(SECRET_ID, { forceFetch: false }));
      expect(failure.failure).toBe(SecretReadFailure.Unavailable);
      expect(failure.message).toBe(`secret ${SECRET_ID} could not be read: unavailable (the answer could not be parsed)`);
      expect(everyRendering(failure)).not.toContain(CANARY);
      expect(failure.message).toContain(SECRET_ID);
    } finally {
      process.env['AWS_ENDPOINT_URL_SECRETS_MANAGER'] = restore;
    }
  });

  it('names the secret id and the failure, never the value, for each failure kind', async () => {
    sm.put(SECRET_ID, CANARY);
    // Generous bounds for the answered failures: the SDK's retry of a throttle, with its backoff,
    // must not run into the deadline on a loaded machine and turn into a timeout.
    const answered = secretsManagerReader({ ...bounds, requestTimeoutMs: 2_000, deadlineMs: 8_000 });
    const failures: SecretReadError[] = [];
    for (const type of ['AccessDeniedException', 'ThrottlingException', 'ResourceNotFoundException']) {
      sm.fail({ type, message: `${type}` }, 2, SECRET_ID);
      failures.push(await failureOf(answered(SECRET_ID, { forceFetch: true })));
      sm.clearFaults();
    }
    sm.stall(2, SECRET_ID);
    const stalled = secretsManagerReader({ ...bounds, requestTimeoutMs: 200, deadlineMs: 1_000 });
    failures.push(await failureOf(stalled(SECRET_ID, { forceFetch: true })));
    expect(failures.map((f) => f.failure)).toEqual(['access_denied', 'unavailable', 'not_found', 'timeout']);
    for (const failure of failures) {
      expect(everyRendering(failure)).not.toContain(CANARY);
      expect(failure.message).toContain(SECRET_ID);
    }
  });
});
