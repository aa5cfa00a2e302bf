import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSecretsManagerServer, type SecretsManagerServer } from '../../../fakes/secrets-manager-server.js';
import { restRequestEvent } from '../../support/authorizer-events.js';
import { LEGACY_ISSUER, LEGACY_SECRET, startIdps, stopIdps, testConfigDocument, type Idps } from '../../support/authorizer-harness.js';

/**
 * The authorizer handler as deployed with introspection, reading its introspection
 * credentials from a loopback Secrets Manager stand-in (AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
const SECRET_ID = 'gatepass/legacy-introspection';
const INTROSPECTION_TIMEOUT_MS = 500;
const reports = { method: 'GET', path: '/reports/{proxy+}' };

let sm: SecretsManagerServer;
let idps: Idps;
let restoreEnv: () => void;
let output: string[];
type Handler = (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  sm = await startSecretsManagerServer({ [SECRET_ID]: LEGACY_SECRET });
  restoreEnv = sm.applyEnv();
  idps = await startIdps();
  output = [];
  const capture = (chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

/** A new container: the handler module initialised again, with nothing read yet. */
async function coldHandler(settings: Record<string, unknown> = {}, secretId = SECRET_ID): Promise<Handler> {
  const document = testConfigDocument(idps, { settings: { introspection: { timeoutMs: INTROSPECTION_TIMEOUT_MS }, ...settings } });
  const issuers = document['issuers'] as Record<string, { introspection?: { clientSecretId: string } }>;
  issuers['legacy']!.introspection!.clientSecretId = secretId;
  process.env['GATEPASS_CONFIG'] = JSON.stringify(document);
  vi.resetModules();
  return ((await import('../../../functions/authorizer/handler.js')) as { handler: Handler }).handler;
}

afterAll(async () => {
  delete process.env['GATEPASS_CONFIG'];
  vi.restoreAllMocks();
  restoreEnv();
  await sm.stop();
  await stopIdps(idps);
});

beforeEach(() => {
  sm.clearFaults();
  sm.resetCounters();
  output.length = 0;
  idps.legacy.requests.length = 0;
  idps.legacy.behaviour = {
    keys: [],
    introspect: () => ({ body: { active: true, iss: LEGACY_ISSUER, sub: 'carol', scope: 'reports', exp: Math.floor(Date.now() / 1000) + 300 } }),
  };
});

afterEach(() => {
  vi.useRealTimers();
});

/** Settles within `ms`, or says it is still waiting (instead of hanging the test run). */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<{ settled: 'resolved' | 'rejected' | 'still waiting'; value?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const waiting = new Promise<{ settled: 'still waiting' }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: 'still waiting' }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ settled: 'resolved' as const, value }),
        (value: unknown) => ({ settled: 'rejected' as const, value }),
      ),
      waiting,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const decisionLines = () =>
  output
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['message'] === 'authorizer.decision');

describe('authorizer introspection credentials from Secrets Manager', () => {
  it('reads the credentials through the stand-in and allows an active opaque token', async () => {
    const handler = await coldHandler();
    const result = await handler(restRequestEvent({ ...reports, authorization: 'Bearer opaque-token-allow-0123456789' }));
    expect(result).toMatchObject({ context: { issuer: 'legacy', route: 'reports' } });
    expect(sm.requests.bySecret.get(SECRET_ID)).toBe(1);
  });

  it('refuses cleanly (401 token_invalid, no 500) within the introspection timeout when Secrets Manager accepts and never answers', async () => {
    // A secret this process never read: no earlier read may answer from a cache.
    const stalledId = 'gatepass/legacy-introspection-stalled';
    sm.put(stalledId, LEGACY_SECRET);
    const handler = await coldHandler({}, stalledId);
    sm.stall(10, stalledId);
    const started = Date.now();
    // Generous: the budget is INTROSPECTION_TIMEOUT_MS; a hang would last until the Lambda timeout.
    const outcome = await settleWithin(handler(restRequestEvent({ ...reports, authorization: 'Bearer opaque-token-stall-0123456789' })), 8_000);
    const elapsedMs = Date.now() - started;

    expect(outcome.settled).toBe('rejected');
    expect((outcome.value as Error).message).toBe('Unauthorized');
    expect(elapsedMs).toBeLessThan(INTROSPECTION_TIMEOUT_MS + 2_500);
    expect(sm.requests.bySecret.get(stalledId)).toBeGreaterThanOrEqual(1);
    expect(idps.legacy.count('/introspect')).toBe(0);
    expect(decisionLines().at(-1)).toMatchObject({ outcome: 'token_invalid', status: 401, route: 'reports' });
    expect(output.join('')).not.toContain('authorizer.internal_error');
    // The operator's line says what failed, and never the credentials.
    expect(output.join('')).toContain(`secret ${stalledId} could not be read: timeout`);
    expect(output.join('')).not.toContain('legacy-s3cret');
  }, 15_000);

  it('re-reads the credentials after settings.exchange.secretMaxAgeSeconds, not for the container\'s life', async () => {
    const seen: string[] = [];
    idps.legacy.behaviour = {
      keys: [],
      introspect: (_form, authorization) => {
        seen.push(Buffer.from((authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8'));
        return { body: { active: true, iss: LEGACY_ISSUER, sub: 'carol', scope: 'reports', exp: Math.floor(Date.now() / 1000) + 3600 } };
      },
    };
    const rotatingId = 'gatepass/legacy-introspection-rotating';
    sm.put(rotatingId, LEGACY_SECRET);
    vi.useFakeTimers({ toFake: ['Date'] });
    const handler = await coldHandler({ exchange: { secretMaxAgeSeconds: 60 } }, rotatingId);
    const ask = (n: number) => handler(restRequestEvent({ ...reports, authorization: `Bearer opaque-token-rotation-${n}-0123456789` }));

    await ask(1);
    sm.rotate(rotatingId, { client_id: 'gatepass', client_secret: 'rotated-s3cret' });
    vi.setSystemTime(Date.now() + 59_000);
    await ask(2);
    vi.setSystemTime(Date.now() + 2_000);
    await ask(3);

    expect(seen).toEqual(['gatepass:legacy-s3cret', 'gatepass:legacy-s3cret', 'gatepass:rotated-s3cret']);
    expect(sm.requests.bySecret.get(rotatingId)).toBe(2);
  });
});
