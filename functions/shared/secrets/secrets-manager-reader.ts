import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { GetParameterError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SecretReadError, SecretReadFailure, type SecretReader, type SecretsManagerReaderOptions } from './secret-reader.js';

/**
 * The one Secrets Manager reader of gatepass: Powertools Parameters' `SecretsProvider`
 * (it already caches for `maxAge` and re-reads on `forceFetch`, which is all the caching
 * gatepass needs) over one SDK client with bounded timeouts. On top: concurrent reads of
 * one secret share a single call, an overall deadline, and the mapping of every failure to
 * a SecretReadError. The SDK honours `AWS_ENDPOINT_URL_SECRETS_MANAGER` (local stand-in).
 */
export function secretsManagerReader(options: SecretsManagerReaderOptions, provider?: SecretsProvider): SecretReader {
  assertBounds(options);
  const secrets = provider ?? boundedSecretsProvider(options);
  const inFlight = new Map<string, Promise<string>>();
  return (secretId, { forceFetch }) => {
    const key = `${forceFetch ? 'force' : 'cached'}:${secretId}`;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const read = withinDeadline(readText(secrets, secretId, forceFetch, options.maxAgeSeconds), options.deadlineMs, secretId).finally(() => inFlight.delete(key));
    inFlight.set(key, read);
    return read;
  };
}

/**
 * A SecretsProvider whose SDK client gives up in bounded time. `throwOnRequestTimeout` is
 * what makes `requestTimeout` fail the request: in @smithy/node-http-handler 4.x it only
 * logs a warning without it (node_modules/@smithy/node-http-handler/dist-es/set-request-timeout.js).
 */
function boundedSecretsProvider(options: Pick<SecretsManagerReaderOptions, 'connectTimeoutMs' | 'requestTimeoutMs'>): SecretsProvider {
  const agentOptions = { keepAlive: true };
  const client = new SecretsManagerClient({
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  });
  return new SecretsProvider({ awsSdkV3Client: client });
}

async function readText(provider: SecretsProvider, secretId: string, forceFetch: boolean, maxAgeSeconds: number): Promise<string> {
  let value: unknown;
  try {
    value = await provider.get(secretId, { maxAge: maxAgeSeconds, forceFetch });
  } catch (error) {
    throw secretReadErrorOf(error, secretId);
  }
  if (typeof value === 'string' && value !== '') return value;
  throw new SecretReadError(SecretReadFailure.NotText, secretId, value instanceof Uint8Array ? 'SecretBinary, no SecretString' : 'no SecretString');
}

/** The read, or a timeout failure at the deadline; a late answer still fills the provider's cache. */
function withinDeadline(read: Promise<string>, deadlineMs: number, secretId: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new SecretReadError(SecretReadFailure.Timeout, secretId, `no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  return Promise.race([read, deadline]).finally(() => clearTimeout(timer));
}

/** SDK error names (the service's `__type`, or the HTTP handler's) that say what went wrong. */
const FAILURE_BY_NAME: Readonly<Record<string, SecretReadFailure>> = {
  ResourceNotFoundException: SecretReadFailure.NotFound,
  // Scheduled for deletion, or no version in AWSCURRENT: no read succeeds until someone acts.
  InvalidRequestException: SecretReadFailure.NotFound,
  InvalidParameterException: SecretReadFailure.NotFound,
  AccessDeniedException: SecretReadFailure.AccessDenied,
  DecryptionFailure: SecretReadFailure.AccessDenied,
  TimeoutError: SecretReadFailure.Timeout,
};

const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * Maps what Powertools and the SDK throw, in one place. Powertools wraps the SDK's error in
 * GetParameterError (the SDK error is its `cause`); SDK errors carry the service's error
 * type as `name`. A JSON parse error is dropped rather than kept as `cause`: V8 quotes the
 * input it could not parse, which would be the answer holding the secret.
 */
function secretReadErrorOf(error: unknown, secretId: string): SecretReadError {
  const sdkError = error instanceof GetParameterError && error.cause !== undefined ? error.cause : error;
  const rawName = sdkError instanceof Error ? sdkError.name : '';
  const name = SAFE_NAME.test(rawName) ? rawName : 'unknown error';
  if (sdkError instanceof SyntaxError || hasSyntaxErrorCause(sdkError)) {
    return new SecretReadError(SecretReadFailure.Unavailable, secretId, 'the answer could not be parsed');
  }
  const failure = FAILURE_BY_NAME[name] ?? ((sdkError as { code?: unknown } | undefined)?.code === 'ETIMEDOUT' ? SecretReadFailure.Timeout : SecretReadFailure.Unavailable);
  return new SecretReadError(failure, secretId, name, { cause: error });
}

function hasSyntaxErrorCause(error: unknown): boolean {
  for (let cause = error instanceof Error ? error.cause : undefined, depth = 0; cause !== undefined && depth < 5; depth += 1) {
    if (cause instanceof SyntaxError) return true;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return false;
}

function assertBounds(options: SecretsManagerReaderOptions): void {
  for (const [name, value] of Object.entries(options) as [string, unknown][]) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new TypeError(`secrets reader option ${name} must be a whole number ≥ 0`);
  }
  if (options.deadlineMs === 0 || options.requestTimeoutMs === 0 || options.connectTimeoutMs === 0) throw new TypeError('secrets reader timeouts must be above 0');
}
