import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../../../functions/shared/aws/environment-credentials.js';

afterEach(() => vi.unstubAllEnvs());

// The variables of the SDK's own fromEnv (node_modules/@aws-sdk/credential-provider-env/dist-es/fromEnv.js), which Lambda sets.
describe('environment credentials (the bundles\' stand-in for the default credential chain)', () => {
  it('answers the execution role credentials Lambda puts in the environment', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'example-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'example-session');
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', '2030-01-01T00:00:00Z');
    await expect(defaultProvider()()).resolves.toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'example-secret',
      sessionToken: 'example-session',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
  });

  it('refuses, without naming any value, when the environment holds no credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    await expect(defaultProvider()()).rejects.toThrow(/no AWS credentials in the environment/);
  });
});
