import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';
import { ClientSecretsFromReader, MIN_FORCED_REREAD_INTERVAL_MS, parseClientSecret } from '../../../../functions/exchange/token-endpoint/client-secrets.js';

describe('parseClientSecret', () => {
  it('reads the client_secret shape and ignores extra fields', () => {
    const credentials = parseClientSecret('{"client_id":"gw","client_secret":"s3cret","rotated_at":"2026-01-01"}', 'gatepass/corp');
    expect(credentials.clientId).toBe('gw');
    expect(credentials.clientSecret).toBe('s3cret');
    expect(credentials.privateKeyJwk).toBeUndefined();
  });

  it('reads the private_key_jwk shape', () => {
    const credentials = parseClientSecret('{"client_id":"gw","private_key_jwk":{"kty":"EC","crv":"P-256","d":"x","x":"y","y":"z"}}', 'gatepass/corp');
    expect(credentials.privateKeyJwk).toMatchObject({ kty: 'EC', d: 'x' });
    expect(credentials.clientSecret).toBeUndefined();
  });

  it('fingerprints each version without revealing it', () => {
    const a = parseClientSecret('{"client_id":"gw","client_secret":"one"}', 'id');
    const b = parseClientSecret('{"client_id":"gw","client_secret":"two"}', 'id');
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('shows only the client id and fingerprint when logged or printed', () => {
    const credentials = parseClientSecret('{"client_id":"gw","client_secret":"never-printed"}', 'id');
    expect(JSON.stringify({ credentials })).not.toContain('never-printed');
    expect(inspect(credentials)).not.toContain('never-printed');
    expect(`${JSON.stringify(credentials)}`).toContain('gw');
  });

  it.each([
    ['not JSON', 'never-printed'],
    ['null', 'null'],
    ['a numeric client_id', '{"client_id":1,"client_secret":"never-printed"}'],
    ['a client_id with a line break', '{"client_id":"a\\nb","client_secret":"never-printed"}'],
    ['a non-ASCII client_secret', '{"client_id":"gw","client_secret":"never-printed-é"}'],
    ['a numeric client_secret', '{"client_id":"gw","client_secret":123}'],
    ['a key without kty', '{"client_id":"gw","private_key_jwk":{"d":"never-printed"}}'],
    ['a key that is an array', '{"client_id":"gw","private_key_jwk":["never-printed"]}'],
    ['neither secret nor key', '{"client_id":"gw"}'],
  ])('refuses %s with gateway_misconfigured', (_name, text) => {
    try {
      parseClientSecret(text, 'gatepass/corp');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatepassError);
      expect((error as GatepassError).code).toBe(ErrorCode.GatewayMisconfigured);
      expect((error as GatepassError).message).not.toContain('never-printed');
    }
  });
});

describe('ClientSecretsFromReader.refresh', () => {
  it('forces a re-read at most once per interval per secret, so refused requests cannot each cost a Secrets Manager read', async () => {
    let now = 1_000_000;
    const reads: { secretId: string; forceFetch: boolean }[] = [];
    const secrets = new ClientSecretsFromReader(async (secretId, { forceFetch }) => {
      reads.push({ secretId, forceFetch });
      return '{"client_id":"gw","client_secret":"s"}';
    }, () => now);

    await secrets.refresh('a');
    await secrets.refresh('a');
    now += MIN_FORCED_REREAD_INTERVAL_MS - 1;
    await secrets.refresh('a');
    await secrets.refresh('b');
    now += 1;
    await secrets.refresh('a');

    expect(reads).toEqual([
      { secretId: 'a', forceFetch: true },
      { secretId: 'a', forceFetch: false },
      { secretId: 'a', forceFetch: false },
      { secretId: 'b', forceFetch: true },
      { secretId: 'a', forceFetch: true },
    ]);
  });
});
