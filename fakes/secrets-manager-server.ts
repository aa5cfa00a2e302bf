/**
 * A loopback stand-in for AWS Secrets Manager's `GetSecretValue` (no emulator exists on
 * these machines). It speaks the real JSON 1.1 wire protocol, so the real SDK, and
 * Powertools Parameters on top of it, talk to it unchanged through
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` (see `env`). The SDK signs every request; the
 * server ignores signatures.
 *
 * Only `secretsmanager.GetSecretValue` is implemented: an unknown secret answers
 * 400 `ResourceNotFoundException`, any other operation 400 `UnknownOperationException`.
 * `put` creates or replaces a secret; `rotate` stores a new version (new `VersionId`);
 * `fail` makes the next N reads answer a chosen AWS error; `stall` makes them hang (accepted,
 * never answered, as a blackholed endpoint); `requests` counts reads.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback-server.js';

export interface SecretsManagerServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Variables that point the SDK at this server (endpoint, dummy credentials, region). */
  readonly env: Readonly<Record<string, string>>;
  /** Creates or replaces a secret; objects are stored as their JSON text. */
  put(name: string, value: string | object): void;
  /** Stores a new version of an existing secret (as rotation does); returns the new VersionId. */
  rotate(name: string, value: string | object): string;
  remove(name: string): void;
  /** The next `times` reads (of `name`, or of any secret) answer this AWS error. */
  fail(error: SecretsManagerFault, times?: number, name?: string): void;
  /** The next `times` reads (of `name`, or of any secret) are accepted and never answered. */
  stall(times?: number, name?: string): void;
  /** Forgets faults and stalls not yet answered. */
  clearFaults(): void;
  /** GetSecretValue calls received, total and per secret id. */
  readonly requests: { total: number; readonly bySecret: Map<string, number> };
  resetCounters(): void;
  /** Sets `AWS_ENDPOINT_URL_SECRETS_MANAGER` and friends in `process.env`; returns a restore function. */
  applyEnv(): () => void;
  stop(): Promise<void>;
}

export interface SecretsManagerFault {
  /** e.g. `AccessDeniedException`, `InternalServiceError`, `ThrottlingException`. */
  readonly type: string;
  /** HTTP status; 400 unless given. */
  readonly status?: number;
  readonly message?: string;
}

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  readonly value: string;
  readonly versionId: string;
  readonly createdDate: number;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

export async function startSecretsManagerServer(initial: Readonly<Record<string, string | object>> = {}): Promise<SecretsManagerServer> {
  const secrets = new Map<string, StoredSecret>();
  const faults: { fault: SecretsManagerFault; remaining: number; name: string | undefined }[] = [];
  const stalls: { remaining: number; name: string | undefined }[] = [];
  const requests = { total: 0, bySecret: new Map<string, number>() };

  const store = (name: string, value: string | object): StoredSecret => {
    const secret: StoredSecret = {
      name,
      arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomUUID().slice(0, 6)}`,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      versionId: randomUUID(),
      createdDate: Date.now() / 1000,
    };
    secrets.set(name, secret);
    return secret;
  };
  for (const [name, value] of Object.entries(initial)) store(name, value);

  // A secret id may be its name or its full ARN.
  const find = (id: string): StoredSecret | undefined =>
    secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id);

  const answer = (res: ServerResponse, status: number, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
      answer(res, 400, { __type: 'UnknownOperationException', message: `unsupported operation ${String(target)}` });
      return;
    }
    let secretId = '';
    try {
      const parsed = JSON.parse(raw) as { SecretId?: unknown };
      secretId = typeof parsed.SecretId === 'string' ? parsed.SecretId : '';
    } catch {
      answer(res, 400, { __type: 'SerializationException', message: 'body is not JSON' });
      return;
    }
    requests.total += 1;
    requests.bySecret.set(secretId, (requests.bySecret.get(secretId) ?? 0) + 1);

    const stall = stalls.find((s) => s.remaining > 0 && (s.name === undefined || s.name === secretId));
    if (stall) {
      // Left open on purpose: the client's own timeouts must end it (stop() closes it).
      stall.remaining -= 1;
      return;
    }

    const faultIndex = faults.findIndex((f) => f.remaining > 0 && (f.name === undefined || f.name === secretId));
    if (faultIndex !== -1) {
      const entry = faults[faultIndex]!;
      entry.remaining -= 1;
      if (entry.remaining === 0) faults.splice(faultIndex, 1);
      answer(res, entry.fault.status ?? 400, { __type: entry.fault.type, message: entry.fault.message ?? entry.fault.type });
      return;
    }

    const secret = find(secretId);
    if (!secret) {
      answer(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      return;
    }
    answer(res, 200, {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: secret.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
    });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  // Above 1 s: Node clients drop sockets whose server keep-alive hint is 1 s, which would hide reuse.
  server.keepAliveTimeout = 5_000;
  const endpoint = await listenOnLoopback(server, 0);
  const env = {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
  };

  return {
    endpoint,
    env,
    requests,
    put: (name, value) => void store(name, value),
    rotate: (name, value) => {
      if (!secrets.has(name)) throw new Error(`no secret ${name} to rotate`);
      return store(name, value).versionId;
    },
    remove: (name) => void secrets.delete(name),
    fail: (fault, times = 1, name) => void faults.push({ fault, remaining: times, name }),
    stall: (times = 1, name) => void stalls.push({ remaining: times, name }),
    clearFaults: () => {
      faults.splice(0);
      stalls.splice(0);
    },
    resetCounters: () => {
      requests.total = 0;
      requests.bySecret.clear();
    },
    applyEnv: () => {
      const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      return () => {
        for (const [k, v] of Object.entries(previous)) {
          if (v === undefined) Reflect.deleteProperty(process.env, k);
          else process.env[k] = v;
        }
      };
    },
    stop: () => closeServer(server),
  };
}
