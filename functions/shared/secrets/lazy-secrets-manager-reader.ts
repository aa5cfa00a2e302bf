import type { SecretReader, SecretsManagerReaderOptions } from './secret-reader.js';

/**
 * A Secrets Manager reader whose code (Powertools Parameters and the SDK) is loaded on its
 * first read: an authorizer that introspects only now and then does not pay the import
 * at cold start, and a JWT-only bundle, which never calls this, drops that code entirely.
 * In a file of its own: a dynamic import makes esbuild wrap the imported modules for lazy
 * initialisation, which tree-shakes the SDK less well (+14 KB in the exchange bundle).
 */
export function lazySecretsManagerReader(options: SecretsManagerReaderOptions): SecretReader {
  let loaded: Promise<SecretReader> | undefined;
  return async (secretId, readOptions) => {
    loaded ??= import('./secrets-manager-reader.js').then(({ secretsManagerReader }) => secretsManagerReader(options));
    return (await loaded)(secretId, readOptions);
  };
}
