import { describe, expect, it } from 'vitest';
import { IntrospectionClient, IntrospectionUnavailableError } from '../../../../functions/shared/token-validation/introspection-client.js';
import { parseConfig } from '../../../../functions/shared/config/config-validator.js';

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
    const failure = await client.introspect('legacy', 'opaque-token-0123456789').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IntrospectionUnavailableError);
    expect((failure as Error).message).toBe('secret gatepass/legacy could not be read');
    expect((failure as Error).cause).toBe(throttled);
  });
});
