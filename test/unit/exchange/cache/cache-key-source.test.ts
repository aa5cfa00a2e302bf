import { ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { describe, expect, it } from 'vitest';
import { CacheKeys } from '../../../../functions/exchange/cache/cache-key.js';
import { CacheKeyUnavailableError, secretCacheKeySource, type SecretReader } from '../../../../functions/exchange/cache/cache-key-source.js';
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

/** A scripted secret store: each read takes the next answer (a value or an error to throw). */
function scriptedSecrets(...answers: unknown[]): SecretReader & { reads: number } {
  const reader = {
    reads: 0,
    async get(): Promise<unknown> {
      const answer = answers[Math.min(reader.reads, answers.length - 1)];
      reader.reads += 1;
      await Promise.resolve();
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return reader;
}

describe('cache key source from Secrets Manager', () => {
  it('reads the secret once per container, also for concurrent first calls', async () => {
    const secrets = scriptedSecrets(material);
    const source = secretCacheKeySource('gatepass/cache-key', { secrets });
    const all = await Promise.all(Array.from({ length: 20 }, () => source()));
    await source();
    expect(secrets.reads).toBe(1);
    expect(new Set(all).size).toBe(1);
    expect(all[0]!.pkOf(tuple)).toBe(CacheKeys.fromMaterial(material).pkOf(tuple));
  });

  it('answers gateway_misconfigured for a missing secret, a binary secret and a short one', async () => {
    const cases: unknown[] = [new ParameterNotFoundError('not found'), new Uint8Array(64), 'x'.repeat(31)];
    for (const answer of cases) {
      const source = secretCacheKeySource('gatepass/cache-key', { secrets: scriptedSecrets(answer) });
      await expect(source()).rejects.toMatchObject({ code: ErrorCode.GatewayMisconfigured });
    }
  });

  it('never puts the key material into its error messages', async () => {
    const short = 'short-canary-material';
    const source = secretCacheKeySource('gatepass/cache-key', { secrets: scriptedSecrets(short) });
    const error = await source().catch((e: unknown) => e);
    expect(String(error)).not.toContain('canary');
    expect(String(error)).toContain('gatepass/cache-key');
  });

  it('reports a read failure as unavailable, fails fast for a while, then reads again', async () => {
    let now = 1_000_000;
    const secrets = scriptedSecrets(new Error('socket hang up'), material);
    const source = secretCacheKeySource('gatepass/cache-key', { secrets, clock: () => now, retryAfterMs: 10_000 });

    await expect(source()).rejects.toBeInstanceOf(CacheKeyUnavailableError);
    now += 9_999;
    await expect(source()).rejects.toBeInstanceOf(CacheKeyUnavailableError);
    expect(secrets.reads).toBe(1);

    now += 1;
    await expect(source()).resolves.toBeInstanceOf(CacheKeys);
    expect(secrets.reads).toBe(2);
  });
});
