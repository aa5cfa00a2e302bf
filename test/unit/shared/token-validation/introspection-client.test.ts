import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwksServer } from '../../../../fakes/jwks-server.js';
import { IntrospectionClient, IntrospectionUnavailableError } from '../../../../functions/shared/token-validation/introspection-client.js';
import { parseConfig } from '../../../../functions/shared/config/config-validator.js';
import { sha256Hex } from '../../../../functions/shared/token-id.js';

const config = parseConfig({
  version: 1,
  insecureLoopbackHttp: true,
  issuers: {
    legacy: { issuer: 'https://sso.legacy.example', introspection: { endpoint: 'http://127.0.0.1:9/introspect', clientSecretId: 'gatepass/legacy' } },
  },
  routes: [{ id: 'reports', method: 'GET', path: '/reports', upstream: 'http://127.0.0.1:9/reports', acceptedIssuers: ['legacy'] }],
});

describe('IntrospectionClient credentials', () => {
  it('reports a Secrets Manager failure as introspection unavailable (a clean 401), not as an internal error', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'GetParameterError' });
    const client = new IntrospectionClient(config, async () => {
      throw throttled;
    });
    const failure = await client.introspect('legacy', 'opaque-token-0123456789', sha256Hex('opaque-token-0123456789')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IntrospectionUnavailableError);
    expect((failure as Error).message).toBe('secret gatepass/legacy could not be read');
    expect((failure as Error).cause).toBe(throttled);
  });
});

describe('IntrospectionClient deadline', () => {
  let idp: JwksServer;
  beforeAll(async () => {
    idp = await new JwksServer().start();
  });
  afterAll(async () => {
    await idp.stop();
  });

  it('gives a refused call, the secret re-read and the second call one timeoutMs in all', async () => {
    const timed = parseConfig({
      version: 1,
      insecureLoopbackHttp: true,
      issuers: { legacy: { issuer: 'https://sso.legacy.example', introspection: { endpoint: idp.introspectionEndpoint, clientSecretId: 'gatepass/legacy' } } },
      routes: [{ id: 'reports', method: 'GET', path: '/reports', upstream: 'http://127.0.0.1:9/reports', acceptedIssuers: ['legacy'] }],
      settings: { introspection: { timeoutMs: 600 } },
    });
    let calls = 0;
    // Each answer alone fits 600 ms; the 401 and the slow second answer together do not.
    idp.behaviour.introspect = () => (++calls === 1 ? { status: 401, body: { error: 'invalid_client' }, delayMs: 400 } : { body: { active: true, iss: 'https://sso.legacy.example' }, delayMs: 400 });
    const client = new IntrospectionClient(timed, async () => JSON.stringify({ client_id: 'rs', client_secret: 'rotated' }));
    const started = Date.now();
    const failure = await client.introspect('legacy', 'opaque-token-0123456789', sha256Hex('opaque-token-0123456789')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IntrospectionUnavailableError);
    expect(Date.now() - started).toBeLessThan(900);
    expect(calls).toBe(2);
  });

  it('counts a slow re-read of the credentials after a refused call against the same timeoutMs (docs/configuration.md "settings")', async () => {
    const timed = parseConfig({
      version: 1,
      insecureLoopbackHttp: true,
      issuers: { legacy: { issuer: 'https://sso.legacy.example', introspection: { endpoint: idp.introspectionEndpoint, clientSecretId: 'gatepass/legacy' } } },
      routes: [{ id: 'reports', method: 'GET', path: '/reports', upstream: 'http://127.0.0.1:9/reports', acceptedIssuers: ['legacy'] }],
      settings: { introspection: { timeoutMs: 600 } },
    });
    let calls = 0;
    idp.behaviour.introspect = () => (++calls === 1 ? { status: 401, body: { error: 'invalid_client' }, delayMs: 300 } : { body: { active: true, iss: 'https://sso.legacy.example' } });
    // The forced re-read alone fits 600 ms (a reader's own deadline); after the refused call it does not.
    const slowReRead = async (_secretId: string, { forceFetch }: { forceFetch: boolean }) => {
      if (forceFetch) await new Promise((resolve) => setTimeout(resolve, 550));
      return JSON.stringify({ client_id: 'rs', client_secret: 'rotated' });
    };
    const client = new IntrospectionClient(timed, slowReRead);
    const started = Date.now();
    const failure = await client.introspect('legacy', 'opaque-token-0123456789', sha256Hex('opaque-token-0123456789')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IntrospectionUnavailableError);
    expect((failure as Error).message).toBe("secret gatepass/legacy could not be read: timeout (within the introspection's 600 ms)");
    expect(Date.now() - started).toBeLessThan(800);
    expect(calls).toBe(1);
  });
});
