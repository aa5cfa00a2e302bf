import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { decodeJwt } from 'jose';
import { DEMO } from '../../../scripts/local/demo-config.js';
import { startLocalStack, type LocalStack } from '../../../scripts/local/local-stack.js';
import { echoViewResponder } from '../../../scripts/local/upstream-echo-view.js';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '../../../fakes/oauth-server/token-exchange-grant.js';
import { countCanaries } from '../support/canary-search.js';
import { EgressRecorder } from '../support/egress-recorder.js';

/**
 * Fault injection under load (issue #7 part 3), against the local stack of `npm start`: the
 * local API Gateway, both functions bundled as deployed and run in their own Lambda-like
 * containers, dynalite, the Secrets Manager stand-in, oidc-provider as partner IdP and
 * corporate authorization server, and the echo upstream. autocannon drives it on loopback,
 * bounded in time and in count, while a schedule injects:
 *
 *   token endpoint latency → DynamoDB stopped and restarted → client secret rotated at the
 *   authorization server and in Secrets Manager at once → token endpoint down and back up
 *
 * (that order because a down token endpoint opens the circuit breakers for 30 s, which would
 * hide every later fault). Definitions:
 * - a wrong answer is a 2xx to a request whose token is invalid (tampered, forged, expired,
 *   unsigned, or without the required scope), a 2xx without an upstream call, or a 2xx whose
 *   upstream request did not carry a valid token for the caller (below);
 * - a forward without a valid issued token is any request the upstream received whose bearer
 *   token is not a corporate-AS token (signature, issuer, `at+jwt`) with `aud` orders, scope
 *   within orders:read and the caller's subject, or that belongs to an invalid-token request;
 * - refusals of valid requests during a fault (503 with Retry-After) are availability, counted
 *   apart, never wrong.
 */

export interface FaultLoadOptions {
  /** Wall-clock bound of the load (seconds). */
  readonly durationSeconds: number;
  /** Hard bound on requests sent. */
  readonly maxRequests: number;
  readonly connections: number;
  /** Requests per valid subject (spread over a window of 40 subjects; new subjects keep the token endpoint busy). */
  readonly requestsPerSubject: number;
  readonly log?: (line: string) => void;
}

export interface FaultLoadFigures {
  readonly requestsSent: number;
  readonly responses: number;
  readonly validRequests: number;
  readonly invalidRequests: number;
  readonly wrongAnswers: number;
  readonly forwardsWithoutValidToken: number;
  readonly availabilityRefusals: Readonly<Record<string, number>>;
  readonly invalidRefusals: Readonly<Record<string, number>>;
  readonly tokenEndpointCalls: number;
  /** Distinct cache keys (subject tokens) the token endpoint was asked for. */
  readonly uniqueKeys: number;
  readonly tokenEndpointCallsPerKey: number;
  readonly maxTokenEndpointCallsForOneKey: number;
  /** Distinct valid subjects the load sent. */
  readonly subjectsSent: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly validP50: number; readonly validP99: number };
  readonly faults: readonly string[];
  /** Operational events the functions logged during the run (table errors, secret refreshes, circuits opened). */
  readonly functionLogEvents: Readonly<Record<string, number>>;
  /** Valid requests answered in the run's last 3 s, and how many with a 2xx. */
  readonly recovery: { readonly validInLast3s: number; readonly okInLast3s: number };
  readonly unlistedEgress: number;
  readonly canaryHitsInFunctionLogs: number;
  readonly durationSeconds: number;
  readonly wrongExamples: readonly string[];
}

interface AutocannonResult {
  readonly requests: { readonly sent: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly duration: number;
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => { stop(): void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

type Kind = 'valid' | 'tampered' | 'forged-sub' | 'unsigned' | 'expired' | 'no-scope' | 'garbage';
const INVALID_KINDS: readonly Exclude<Kind, 'valid'>[] = ['tampered', 'forged-sub', 'unsigned', 'expired', 'no-scope', 'garbage'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The corporate authorization server's HTTP server, seen from the process that runs it:
 * added latency on /token, and a client secret rotation (after it, only the new secret is
 * accepted; it is mapped onto the registered one, since oidc-provider's clients are static).
 */
interface AuthorizationServerFaults {
  latencyMs: number;
  rotation: { readonly clientId: string; readonly previous: string; readonly current: string } | undefined;
  rejectedOldSecret: number;
  uninstall(): void;
}

function installAuthorizationServerFaults(port: number): AuthorizationServerFaults {
  const original = http.Server.prototype.emit;
  const faults: AuthorizationServerFaults = {
    latencyMs: 0,
    rotation: undefined,
    rejectedOldSecret: 0,
    uninstall: () => void (http.Server.prototype.emit = original),
  };

  /** False when the request was answered here (the old secret, refused). */
  const rotate = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const rotation = faults.rotation!;
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!basic) return true;
    const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
    if (id !== rotation.clientId) return true;
    if (secret === rotation.current) {
      req.headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(rotation.previous)}`).toString('base64')}`;
      return true;
    }
    faults.rejectedOldSecret += 1;
    const body = JSON.stringify({ error: 'invalid_client', error_description: 'client authentication failed' });
    res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'www-authenticate': 'Basic realm="token"' });
    res.end(body);
    return false;
  };

  http.Server.prototype.emit = function emit(this: http.Server, event: string, ...args: unknown[]): boolean {
    const address = this.address();
    const pass = () => Reflect.apply(original, this, [event, ...args]) as boolean;
    if (event !== 'request' || typeof address !== 'object' || address?.port !== port) return pass();
    const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
    if ((req.url ?? '').startsWith('/token')) {
      if (faults.rotation && !rotate(req, res)) return true;
      if (faults.latencyMs > 0) {
        setTimeout(pass, faults.latencyMs);
        return true;
      }
    }
    return pass();
  } as typeof http.Server.prototype.emit;
  return faults;
}

async function currentClientSecret(stack: LocalStack): Promise<{ clientId: string; secret: string }> {
  const client = new SecretsManagerClient({ endpoint: stack.urls.secretsManager, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' } });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: DEMO.secrets.corpExchange }));
    const parsed = JSON.parse(SecretString ?? '{}') as { client_id: string; client_secret: string };
    return { clientId: parsed.client_id, secret: parsed.client_secret };
  } finally {
    client.destroy();
  }
}

/** The fault schedule ends at 12 s; the circuit breakers it opens stay open 30 s (the default). */
const MIN_LOAD_SECONDS = 15;
/** Distinct subjects at most; past them the stream starts over (and finds them cached). */
const MAX_SUBJECTS = 1500;
/** Subjects in flight at a time: a subject's requests come this many requests apart. */
const SUBJECT_WINDOW = 40;

export async function runFaultLoad(options: FaultLoadOptions): Promise<FaultLoadFigures> {
  if (options.durationSeconds < MIN_LOAD_SECONDS) throw new Error(`the load run needs at least ${MIN_LOAD_SECONDS} s for its fault schedule`);
  const log = options.log ?? (() => undefined);
  const egress = new EgressRecorder().install();
  const workDir = mkdtempSync(join(tmpdir(), 'gatepass-load-'));
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const stack = await startLocalStack({ workDir, flavour: 'http', authorizerCacheTtlSeconds: 60, maxContainers: 4 });
  let stopped = false;
  const stopStack = async () => {
    if (stopped) return;
    stopped = true;
    await stack.stop();
  };
  const faults = installAuthorizationServerFaults(Number(new URL(stack.urls.corp).port));
  // oidc-provider (Koa) prints the connection resets of the token endpoint fault: expected, counted, not shown.
  const consoleError = console.error;
  let serverErrorsPrinted = 0;
  console.error = () => void (serverErrorsPrinted += 1);
  // dynalite throws from a callback ("Database is closed") when it is stopped with requests in
  // flight: a quirk of the stand-in, not of gatepass (whose requests then fail as against a dead
  // DynamoDB). Only that error is absorbed; anything else still ends the run.
  let dynaliteClosedErrors = 0;
  const onUncaught = (error: Error) => {
    if (error.message === 'Database is closed' && (error.stack ?? '').includes('dynalite')) {
      dynaliteClosedErrors += 1;
      return;
    }
    consoleError('fault-load: uncaught error', error);
    process.exit(1);
  };
  process.on('uncaughtException', onUncaught);
  try {
    for (const url of Object.values(stack.urls)) if (url) egress.allow(url);
    log(`local stack up in ${Math.round(stack.timings.startMs)} ms: gateway ${stack.urls.gateway}`);

    // Tokens: a stream of valid partner subjects, and every kind of invalid token.
    const issuing = performance.now();
    const subjects = Math.min(MAX_SUBJECTS, Math.ceil(options.maxRequests / options.requestsPerSubject) + 1);
    const valid: { token: string; sub: string }[] = [];
    for (let i = 0; i < subjects; i++) {
      const sub = `load-user-${i}`;
      valid.push({ token: (await stack.tokens.issue({ issuer: 'partner', scope: ['orders:read'], subject: sub })).token, sub });
    }
    log(`${subjects} partner tokens issued in ${Math.round(performance.now() - issuing)} ms`);
    const sample = valid[0]!.token;
    const [h, p, s] = sample.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(sample), sub: 'load-admin', scope: 'orders:read orders:admin' })).toString('base64url');
    const invalid: Record<Exclude<Kind, 'valid'>, string> = {
      tampered: `${h}.${p}.${s.slice(0, 40)}${s[40] === 'A' ? 'B' : 'A'}${s.slice(41)}`,
      'forged-sub': `${h}.${forgedPayload}.${s}`,
      unsigned: `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`,
      expired: (await stack.tokens.issue({ issuer: 'partner', scope: ['orders:read'], subject: 'load-expired', expired: true })).token,
      'no-scope': (await stack.tokens.issue({ issuer: 'partner', scope: ['profile'], subject: 'load-no-scope' })).token,
      garbage: 'not-a-jwt-0123456789abcdef',
    };

    // The upstream verifies every token it receives.
    const forwardsWithoutValidToken: string[] = [];
    const upstreamSeen = new Set<string>();
    stack.echo.respondWith(async (req, res, echoed) => {
      const id = echoed.headers['x-load-id']?.[0] ?? '?';
      upstreamSeen.add(id);
      const kind = echoed.headers['x-load-kind']?.[0];
      const bearer = /^Bearer\s+(\S+)$/i.exec(echoed.headers['authorization']?.[0] ?? '')?.[1];
      try {
        if (kind !== 'valid') throw new Error(`forwarded a ${kind ?? 'unknown'} request`);
        if (!bearer) throw new Error('no bearer token');
        const claims = await stack.corp.verify(bearer);
        if (claims['aud'] !== DEMO.ordersAudience) throw new Error(`aud ${String(claims['aud'])}`);
        const scopes = String(claims['scope'] ?? '').split(' ').filter(Boolean);
        if (scopes.some((scope) => scope !== 'orders:read')) throw new Error(`scope ${scopes.join(' ')}`);
        if (claims['sub'] !== echoed.headers['x-load-subject']?.[0]) throw new Error(`subject ${String(claims['sub'])} for ${echoed.headers['x-load-subject']?.[0]}`);
      } catch (error) {
        forwardsWithoutValidToken.push(`${id}: ${(error as Error).message}`);
      }
      return echoViewResponder(req, res, echoed);
    });

    // Warm one container of each function, then go.
    await fetch(`${stack.urls.gateway}/orders/0`, { headers: { authorization: `Bearer ${valid[0]!.token}`, 'x-load-id': 'warm-up', 'x-load-kind': 'valid', 'x-load-subject': valid[0]!.sub } });

    let sent = 0;
    const usedSubjects = new Set<string>();
    const outcome = { responses: 0, valid: 0, invalid: 0, wrong: [] as string[], availability: {} as Record<string, number>, invalidRefusals: {} as Record<string, number> };
    const latencies = { all: [] as number[], valid: [] as number[] };
    /** When each valid request was answered (ms since the load started) and whether with a 2xx. */
    const validAnswers: { at: number; ok: boolean }[] = [];
    let loadStarted = 0;
    interface LoadContext {
      id?: string;
      kind?: Kind;
      sentAt?: number;
    }
    let instance: { stop(): void } | undefined;
    const finished = new Promise<AutocannonResult>((resolve, reject) => {
      instance = autocannon({
      url: stack.urls.gateway,
      connections: options.connections,
      duration: options.durationSeconds,
      maxOverallRequests: options.maxRequests,
      // Paced so the request cap spreads over the whole run: on a fast machine an unpaced run
      // spent its cap before the circuit breakers closed, and the recovery was never measured.
      overallRate: Math.max(1, Math.floor(options.maxRequests / options.durationSeconds)),
      timeout: 10,
      requests: [
        {
          method: 'GET',
          setupRequest: (request: { path: string; headers: Record<string, string> }, context: LoadContext) => {
            const n = sent++;
            const kind: Kind = n % 10 < 8 ? 'valid' : INVALID_KINDS[(n >> 1) % INVALID_KINDS.length]!;
            let token: string;
            let subject = '-';
            if (kind === 'valid') {
              // Each subject's requests are spread over a window of others, so later ones can find its token in the table.
              const window = SUBJECT_WINDOW;
              const chosen = valid[(Math.floor(n / (options.requestsPerSubject * window)) * window + (n % window)) % valid.length]!;
              token = chosen.token;
              subject = chosen.sub;
              usedSubjects.add(subject);
            } else token = invalid[kind];
            context.id = String(n);
            context.kind = kind;
            context.sentAt = performance.now();
            request.path = `/orders/${n}`;
            request.headers = { ...request.headers, authorization: `Bearer ${token}`, 'x-load-id': String(n), 'x-load-kind': kind, 'x-load-subject': subject };
            return request;
          },
          onResponse: (status: number, body: string, context: LoadContext) => {
            outcome.responses += 1;
            const latency = performance.now() - (context.sentAt ?? performance.now());
            latencies.all.push(latency);
            const ok = status >= 200 && status < 300;
            if (context.kind === 'valid') {
              outcome.valid += 1;
              latencies.valid.push(latency);
              validAnswers.push({ at: Date.now() - loadStarted, ok });
              if (ok && !upstreamSeen.has(context.id ?? '')) outcome.wrong.push(`${context.id}: 2xx without an upstream call`);
              if (!ok) {
                let code = String(status);
                try {
                  code = `${status} ${String((JSON.parse(body) as { code?: unknown }).code ?? '')}`.trim();
                } catch {
                  // HTTP API gateway answers are {"message": ...}
                }
                outcome.availability[code] = (outcome.availability[code] ?? 0) + 1;
              }
            } else {
              outcome.invalid += 1;
              if (ok) outcome.wrong.push(`${context.id}: ${status} for a ${context.kind} token`);
              else outcome.invalidRefusals[`${context.kind} ${status}`] = (outcome.invalidRefusals[`${context.kind} ${status}`] ?? 0) + 1;
            }
          },
        },
      ],
      }, (error, result) => (error ? reject(error) : resolve(result)));
    });
    // A second, independent time bound: the run stops by itself whatever autocannon does.
    const watchdog = setTimeout(() => instance?.stop(), (options.durationSeconds + 5) * 1000);

    // The fault schedule, bounded by the run: every step undoes itself before the load ends.
    const events: string[] = [];
    const started = Date.now();
    loadStarted = started;
    const at = async (seconds: number, what: string, step: () => Promise<void> | void) => {
      await sleep(Math.max(0, started + seconds * 1000 - Date.now()));
      await step();
      events.push(`t+${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
      log(events.at(-1)!);
    };
    const schedule = (async () => {
      await at(1.5, 'token endpoint latency +400 ms', () => void (faults.latencyMs = 400));
      await at(4, 'token endpoint latency off', () => void (faults.latencyMs = 0));
      await at(5, 'DynamoDB stopped', () => stack.dynamo.stop());
      await at(7, 'DynamoDB restarted (empty)', () => stack.dynamo.restart());
      const before = await currentClientSecret(stack);
      await at(8.5, 'client secret rotated (authorization server and Secrets Manager at once)', () => {
        const next = `rotated-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
        faults.rotation = { clientId: before.clientId, previous: before.secret, current: next };
        stack.secrets.rotate(DEMO.secrets.corpExchange, { client_id: before.clientId, client_secret: next });
      });
      await at(10.5, 'token endpoint down (connections reset)', () => stack.tokenRelay.down());
      await at(12, 'token endpoint back up', () => stack.tokenRelay.up());
    })();

    const result = await finished;
    clearTimeout(watchdog);
    await schedule;
    // Let the upstream's last checks finish.
    await sleep(200);

    // Recovery: the last 3 s of the run, after every fault ended and the circuits' open period passed.
    const endMs = Math.max(0, ...validAnswers.map((a) => a.at));
    const tail = validAnswers.filter((a) => a.at >= endMs - 3000);
    const recovery = { validInLast3s: tail.length, okInLast3s: tail.filter((a) => a.ok).length };
    const exchangeRequests = stack.corp.tokenRequests.filter((r) => r.grantType === TOKEN_EXCHANGE_GRANT_TYPE);
    const tokenEndpointCalls = exchangeRequests.length;
    // Keys the token endpoint saw (the subject token is the key's only varying part on this route).
    const callsPerKey = new Map<string, number>();
    for (const r of exchangeRequests) {
      const subject = typeof r.params['subject_token'] === 'string' ? r.params['subject_token'] : '';
      callsPerKey.set(subject, (callsPerKey.get(subject) ?? 0) + 1);
    }
    const secrets = [...valid.map((v) => v.token), ...Object.values(invalid), faults.rotation?.current ?? '', faults.rotation?.previous ?? ''].filter((v) => v.length >= 16);
    for (const request of stack.echo.requests) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers['authorization']?.[0] ?? '')?.[1];
      if (bearer) secrets.push(bearer);
    }
    // Stopping the stack flushes the functions' log files.
    await stopStack();
    const functionLogs = ['authorizer', 'exchange'].map((fn) => readFileSync(join(workDir, 'logs', `${fn}.log`), 'utf8')).join('\n');
    const logEvents: Record<string, number> = {};
    for (const line of functionLogs.split('\n')) {
      const event = /"(?:message|event)":"(cache\.table_error|cache\.key_unavailable|exchange\.client_secret_refresh|exchange\.client_rejected|exchange\.circuit_open|jwks\.fetch_failed|authorizer\.internal_error|exchange\.internal_error)"/.exec(line)?.[1];
      if (event) logEvents[event] = (logEvents[event] ?? 0) + 1;
    }

    return {
      requestsSent: result.requests.sent,
      responses: outcome.responses,
      validRequests: outcome.valid,
      invalidRequests: outcome.invalid,
      wrongAnswers: outcome.wrong.length,
      forwardsWithoutValidToken: forwardsWithoutValidToken.length,
      availabilityRefusals: outcome.availability,
      invalidRefusals: outcome.invalidRefusals,
      tokenEndpointCalls,
      uniqueKeys: callsPerKey.size,
      tokenEndpointCallsPerKey: callsPerKey.size ? tokenEndpointCalls / callsPerKey.size : 0,
      maxTokenEndpointCallsForOneKey: Math.max(0, ...callsPerKey.values()),
      subjectsSent: usedSubjects.size,
      latencyMs: {
        p50: result.latency.p50,
        p99: result.latency.p99,
        validP50: Math.round(percentile(latencies.valid, 50) * 10) / 10,
        validP99: Math.round(percentile(latencies.valid, 99) * 10) / 10,
      },
      faults: [...events, `old client secret refused ${faults.rejectedOldSecret} time(s) after the rotation`, `server errors printed by oidc-provider (connection resets): ${serverErrorsPrinted}`, `dynalite requests cut by the stop: ${dynaliteClosedErrors}`],
      functionLogEvents: logEvents,
      recovery,
      unlistedEgress: egress.unlisted().length,
      canaryHitsInFunctionLogs: countCanaries(functionLogs, secrets),
      durationSeconds: result.duration,
      wrongExamples: [...outcome.wrong, ...forwardsWithoutValidToken].slice(0, 10),
    };
  } finally {
    console.error = consoleError;
    process.off('uncaughtException', onUncaught);
    faults.uninstall();
    egress.uninstall();
    await stopStack();
    rmSync(workDir, { recursive: true, force: true });
  }
}
