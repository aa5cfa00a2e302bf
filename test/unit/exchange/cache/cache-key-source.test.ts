import { describe, expect, it } from 'vitest';
import { CacheKeys } from '../../../../functions/exchange/cache/cache-key.js';
import { CacheKeyUnavailableError, secretCacheKeySource } from '../../../../functions/exchange/cache/cache-key-source.js';
import { SecretReadError, SecretReadFailure, type SecretReader } from '../../../../functions/shared/secrets/secret-reader.js';
import type { CacheKeyTuple } from '../../../../functions/exchange/exchange-model.js';
import { ErrorCode } from '../../../../functions/shared/errors.js';

const material = 'm'.repeat(64);
const tuple: CacheKeyTuple = {
  subjectToken: 'subject',
  authorizationServer: 'corp',
  audience: [],
  resource: [],
  scope: ['a'],
  requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  actor: '',
};

/** A scripted reader: each read takes the next answer (a value or an error to throw); the reader's own max age is what the script plays. */
function scriptedSecrets(...answers: (string | Error)[]): SecretReader & { reads: number } {
  const reader = Object.assign(
    async (): Promise<string> => {
      const answer = answers[Math.min(reader.reads, answers.length - 1)]!;
      reader.reads += 1;
      await Promise.resolve();
      if (answer instanceof Error) throw answer;
      return answer;
    },
    { reads: 0 },
  );
  return reader;
}

const readFailure = (failure: SecretReadFailure) => new SecretReadError(failure, 'gatepass/cache-key', 'scripted');

describe('cache key source from Secrets Manager', () => {
  it('derives the keys once per secret text, also for concurrent first calls', async () => {
    const readSecret = scriptedSecrets(material);
    const source = secretCacheKeySource('gatepass/cache-key', { readSecret });
    const all = await Promise.all(Array.from({ length: 20 }, () => source()));
    all.push(await source());
    expect(new Set(all).size).toBe(1);
    expect(all[0]!.pkOf(tuple)).toBe(CacheKeys.fromMaterial(material).pkOf(tuple));
  });

  it('takes new keys when the reader returns a rotated secret (after its max age)', async () => {
    const rotated = 'r'.repeat(64);
    const readSecret = scriptedSecrets(material, material, rotated);
    const source = secretCacheKeySource('gatepass/cache-key', { readSecret });
    const first = await source();
    expect(await source()).toBe(first);
    const after = await source();
    expect(after.pkOf(tuple)).toBe(CacheKeys.fromMaterial(rotated).pkOf(tuple));
    expect(after.pkOf(tuple)).not.toBe(first.pkOf(tuple));
  });

  it('keeps the last good keys when a re-read fails, and reads again only after the retry delay', async () => {
    let now = 1_000_000;
    const readSecret = scriptedSecrets(material, readFailure(SecretReadFailure.Timeout), 'r'.repeat(64));
    const source = secretCacheKeySource('gatepass/cache-key', { readSecret, clock: () => now, retryAfterMs: 10_000 });
    const good = await source();
    expect(await source()).toBe(good);
    now += 9_999;
    expect(await source()).toBe(good);
    expect(readSecret.reads).toBe(2);
    now += 1;
    expect((await source()).pkOf(tuple)).toBe(CacheKeys.fromMaterial('r'.repeat(64)).pkOf(tuple));
  });

  it('answers gateway_misconfigured for a missing secret, a binary secret and a short one', async () => {
    const cases = [readFailure(SecretReadFailure.NotFound), readFailure(SecretReadFailure.NotText), 'x'.repeat(31)];
    for (const answer of cases) {
      const source = secretCacheKeySource('gatepass/cache-key', { readSecret: scriptedSecrets(answer) });
      await expect(source()).rejects.toMatchObject({ code: ErrorCode.GatewayMisconfigured });
    }
  });

  it('steps aside (unavailable, not misconfigured) for a timeout, throttling or a denied read', async () => {
    for (const failure of [SecretReadFailure.Timeout, SecretReadFailure.Unavailable, SecretReadFailure.AccessDenied]) {
      const source = secretCacheKeySource('gatepass/cache-key', { readSecret: scriptedSecrets(readFailure(failure)) });
      await expect(source()).rejects.toBeInstanceOf(CacheKeyUnavailableError);
    }
  });

  it('never puts the key material into its error messages', async () => {
    const short = 'short-canary-material';
    const source = secretCacheKeySource('gatepass/cache-key', { readSecret: scriptedSecrets(short) });
    const error = await source().catch((e: unknown) => e);
    expect(String(error)).not.toContain('canary');
    expect(String(error)).toContain('gatepass/cache-key');
  });

  it('reports a read failure as unavailable, fails fast for a while, then reads again', async () => {
    let now = 1_000_000;
    const secrets = scriptedSecrets(new Error('socket hang up'), material);
    const source = secretCacheKeySource('gatepass/cache-key', { readSecret: secrets, clock: () => now, retryAfterMs: 10_000 });

    await expect(source()).rejects.toBeInstanceOf(CacheKeyUnavailableError);
    now += 9_999;
    await expect(source()).rejects.toBeInstanceOf(CacheKeyUnavailableError);
    expect(secrets.reads).toBe(1);

    now += 1;
    await expect(source()).resolves.toBeInstanceOf(CacheKeys);
    expect(secrets.reads).toBe(2);
  });
});
