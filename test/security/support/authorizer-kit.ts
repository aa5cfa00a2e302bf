import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { Authorizer } from '../../../functions/authorizer/authorizer.js';
import { UnauthorizedSignal } from '../../../functions/authorizer/authorizer-response.js';
import type { LogSink } from '../../../functions/shared/telemetry/telemetry-sinks.js';
import { functionTelemetry } from '../../../functions/shared/telemetry/decision-line.js';
import type { SecretReader } from '../../../functions/shared/secrets/secret-reader.js';
import { parseConfig } from '../../../functions/shared/config/config-validator.js';
import type { GatepassConfig } from '../../../functions/shared/config/config-schema.js';
import { ServiceName } from '../../../functions/shared/contracts/metric-names.js';
import { httpApiEvent, restRequestEvent, restTokenEvent, type EventInput } from '../../support/authorizer-events.js';
import { LEGACY_SECRET, PARTNER_ISSUER, RecordingTelemetry, startIdps, stopIdps, testConfigDocument, type Idps } from '../../support/authorizer-harness.js';
import { JwksServer } from '../../../fakes/jwks-server.js';
import { generateTestKey, signRaw, type TestKey } from '../../support/token-minter.js';
import type { EgressRecorder } from './egress-recorder.js';

/**
 * The authorizer side of the threat catalogue: the real Authorizer against JWKS and
 * introspection servers on 127.0.0.1 (partner, corp, legacy), an attacker server that
 * must never be contacted, and a Powertools logger whose output the log checks read.
 * Each probe runs one request through the three event formats, each on a fresh
 * authorizer unless the executor passes one (so JWKS caches and memos never leak
 * between formats or cases).
 */

export const API_AUD = 'https://api.example.com';
export const ORDERS_READ = { method: 'GET', path: '/orders/{id}' } as const;
export const REPORTS = { method: 'GET', path: '/reports/{proxy+}' } as const;

export type FormatName = 'http-v2' | 'rest-request' | 'rest-token';
const ALL_FORMATS: readonly FormatName[] = ['http-v2', 'rest-request', 'rest-token'];

export interface AuthorizerProbe {
  readonly format: FormatName;
  /** `allow`, a refusal code, or `internal_error` (the handler would answer 500). */
  readonly outcome: string;
  /** What the caller gets: REST 200/401/403 (500 on an internal error); HTTP API 200 or 403. */
  readonly status: number;
  readonly reason?: string;
  readonly context?: Readonly<Record<string, unknown>>;
  readonly policy?: readonly { Effect: string; Resource: string }[];
}

export interface ProbeRequest {
  readonly method?: string;
  readonly path?: string;
  readonly authorization?: string | string[];
  readonly query?: Record<string, string>;
  readonly formats?: readonly FormatName[];
}

export interface BuildOptions {
  readonly document?: Record<string, unknown>;
  readonly readSecret?: SecretReader;
  readonly now?: () => number;
  /** No Powertools output and no decision history (property runs make hundreds of thousands). */
  readonly quiet?: boolean;
}

export interface BuiltAuthorizer {
  readonly authorizer: Authorizer;
  readonly telemetry: RecordingTelemetry;
  readonly config: GatepassConfig;
  readonly quiet: boolean;
}

/** Both the recorder (for assertions) and the Powertools sinks (for the log checks). */
function teeLog(first: LogSink, second: LogSink): LogSink {
  return {
    debug: (message, fields) => (first.debug(message, fields), second.debug(message, fields)),
    info: (message, fields) => (first.info(message, fields), second.info(message, fields)),
    warn: (message, fields) => (first.warn(message, fields), second.warn(message, fields)),
    error: (message, fields) => (first.error(message, fields), second.error(message, fields)),
    decision: (level, message, fields) => (first.decision(level, message, fields), second.decision(level, message, fields)),
  };
}

export interface AuthorizerKeys {
  readonly partnerRs: TestKey;
  readonly partnerEs: TestKey;
  readonly partnerEd: TestKey;
  /** A P-384 key published under an ES256-looking kid (curve mismatch). */
  readonly partnerP384: TestKey;
  readonly corp: TestKey;
  /** Keys the attacker holds; never published by a configured issuer. */
  readonly attackerRs: TestKey;
  readonly attackerEs: TestKey;
}

export class AuthorizerKit {
  /** Every token a probe presented: none may ever reach a log line. */
  readonly presented = new Set<string>();
  // Wired as functions/authorizer/handler.ts wires them (the redaction net included).
  private readonly powertools = functionTelemetry(ServiceName.Authorizer);
  private readonly extraServers: (Server | TcpServer)[] = [];

  private constructor(
    readonly idps: Idps,
    readonly attacker: JwksServer,
    readonly keys: AuthorizerKeys,
    readonly egress: EgressRecorder,
  ) {}

  static async start(egress: EgressRecorder): Promise<AuthorizerKit> {
    const [idps, attacker, partnerRs, partnerEs, partnerEd, partnerP384, corp, attackerRs, attackerEs] = await Promise.all([
      startIdps(),
      new JwksServer().start(),
      generateTestKey('RS256', { kid: 'partner-rs' }),
      generateTestKey('ES256', { kid: 'partner-es' }),
      generateTestKey('EdDSA', { kid: 'partner-ed' }),
      generateTestKey('ES384', { kid: 'partner-es-p384' }),
      generateTestKey('RS256', { kid: 'corp-rs' }),
      generateTestKey('RS256', { kid: 'attacker-rs' }),
      generateTestKey('ES256', { kid: 'attacker-es' }),
    ]);
    for (const server of [idps.partner, idps.corp, idps.legacy]) egress.allow(server.origin);
    const kit = new AuthorizerKit(idps, attacker, { partnerRs, partnerEs, partnerEd, partnerP384, corp, attackerRs, attackerEs }, egress);
    kit.reset();
    return kit;
  }

  /** The servers' default behaviour, request logs emptied. */
  reset(): void {
    const { partnerRs, partnerEs, partnerEd, partnerP384, corp, attackerRs, attackerEs } = this.keys;
    // The P-384 key is published as ES256 under its kid: a mismatch the verifier must catch.
    this.idps.partner.behaviour = { keys: [partnerRs.publicJwk, partnerEs.publicJwk, partnerEd.publicJwk, { ...partnerP384.publicJwk, alg: 'ES256' }] };
    this.idps.corp.behaviour = { keys: [corp.publicJwk] };
    this.idps.legacy.behaviour = { keys: [] };
    this.attacker.behaviour = { keys: [attackerRs.publicJwk, attackerEs.publicJwk] };
    for (const server of [this.idps.partner, this.idps.corp, this.idps.legacy, this.attacker]) server.requests.length = 0;
  }

  async stop(): Promise<void> {
    for (const server of this.extraServers) server.close();
    await Promise.all([stopIdps(this.idps), this.attacker.stop()]);
  }

  /** The harness configuration, with a deep patch applied (objects merge, everything else replaces). */
  document(patch: Record<string, unknown> = {}): Record<string, unknown> {
    return deepMerge(testConfigDocument(this.idps), patch);
  }

  build(options: BuildOptions = {}): BuiltAuthorizer {
    const config = parseConfig(options.document ?? this.document());
    const telemetry = new RecordingTelemetry();
    const authorizer = new Authorizer(config, {
      log: options.quiet ? telemetry.log : teeLog(telemetry.log, this.powertools.log),
      metrics: options.quiet ? telemetry.metrics : this.powertools.metrics,
      readSecret: options.readSecret ?? (async (id) => {
        if (id === 'gatepass/legacy-introspection') return LEGACY_SECRET;
        throw new Error(`no secret ${id}`);
      }),
      ...(options.now ? { now: options.now } : {}),
    });
    return { authorizer, telemetry, config, quiet: options.quiet === true };
  }

  /** Runs one request through every applicable event format. */
  async probe(request: ProbeRequest, options: BuildOptions & { readonly built?: BuiltAuthorizer } = {}): Promise<AuthorizerProbe[]> {
    const values = request.authorization === undefined ? [] : Array.isArray(request.authorization) ? request.authorization : [request.authorization];
    for (const value of values) this.remember(value);
    const formats = request.formats ?? (request.query ? ['http-v2', 'rest-request'] : ALL_FORMATS);
    const probes: AuthorizerProbe[] = [];
    for (const format of formats) {
      const built = options.built ?? this.build(options);
      probes.push(await this.decide(built, format, request));
    }
    return probes;
  }

  /** One decision with a given authorizer. */
  async decide(built: BuiltAuthorizer, format: FormatName, request: ProbeRequest): Promise<AuthorizerProbe> {
    const input: EventInput = {
      method: request.method ?? ORDERS_READ.method,
      path: request.path ?? ORDERS_READ.path,
      ...(request.authorization !== undefined ? { authorization: request.authorization } : {}),
      ...(request.query ? { query: request.query } : {}),
    };
    const event = format === 'http-v2' ? httpApiEvent(input) : format === 'rest-request' ? restRequestEvent(input) : restTokenEvent(input);
    if (built.quiet) built.telemetry.decisions.length = 0;
    const before = built.telemetry.decisions.length;
    try {
      const result = (await built.authorizer.handle(event)) as {
        isAuthorized?: boolean;
        context?: Record<string, unknown>;
        policyDocument?: { Statement: { Effect: string; Resource: string }[] };
      };
      const decision = built.telemetry.decisions.length > before ? built.telemetry.last : undefined;
      const outcome = decision?.outcome ?? 'no_decision';
      if (format === 'http-v2') {
        return { format, outcome, status: result.isAuthorized === true ? 200 : 403, ...(decision?.reason ? { reason: decision.reason } : {}), ...(result.context ? { context: result.context } : {}) };
      }
      const statements = result.policyDocument?.Statement ?? [];
      const allowed = statements.length > 0 && statements.every((s) => s.Effect === 'Allow');
      return { format, outcome, status: allowed ? 200 : 403, policy: statements, ...(decision?.reason ? { reason: decision.reason } : {}), ...(result.context ? { context: result.context } : {}) };
    } catch (error) {
      if (error instanceof UnauthorizedSignal) {
        const decision = built.telemetry.last;
        return { format, outcome: decision?.outcome ?? 'no_decision', status: 401, ...(decision?.reason ? { reason: decision.reason } : {}) };
      }
      return { format, outcome: 'internal_error', status: 500, reason: (error as Error).message };
    }
  }

  remember(token: string): void {
    const bare = token.replace(/^\s*bearer\s+/i, '').trim();
    if (bare.length >= 16) this.presented.add(bare);
  }

  /** Standard partner claims (valid for orders-read), overridable; `undefined` removes a claim. */
  claims(overrides: Record<string, unknown> = {}, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
    const claims: Record<string, unknown> = {
      iss: PARTNER_ISSUER,
      sub: 'alice',
      aud: API_AUD,
      client_id: 'partner-app',
      scope: 'orders:read',
      iat: nowSeconds - 10,
      exp: nowSeconds + 300,
      jti: `jti-${Math.random().toString(36).slice(2)}`,
      ...overrides,
    };
    for (const [key, value] of Object.entries(claims)) if (value === undefined) Reflect.deleteProperty(claims, key);
    return claims;
  }

  /** Signs with node:crypto (any header, any payload, strings verbatim). */
  sign(key: TestKey, header: Record<string, unknown> | string = {}, payload: Record<string, unknown> | string = this.claims()): string {
    const fullHeader = typeof header === 'string' ? header : { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header };
    for (const [k, v] of typeof fullHeader === 'string' ? [] : Object.entries(fullHeader)) if (v === undefined) Reflect.deleteProperty(fullHeader as Record<string, unknown>, k);
    return signRaw(key, key.alg, fullHeader, payload);
  }

  /** A valid partner token (RS256) with claim overrides. */
  partner(overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
    return this.sign(this.keys.partnerRs, header, this.claims(overrides));
  }

  /** A loopback HTTP server that answers every request with a redirect to `location`. */
  async redirector(location: string, status = 302): Promise<string> {
    const server = createHttpServer((_req, res) => res.writeHead(status, { location, 'content-length': 0 }).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.extraServers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.egress.allow(url);
    return url;
  }

  /** A loopback TCP server that resets every connection. */
  async resetter(): Promise<string> {
    const server = createTcpServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.extraServers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.egress.allow(url);
    return url;
  }

  /** Requests the attacker server received. */
  get attackerRequests(): number {
    return this.attacker.requests.length;
  }

  /** Requests any configured server received. */
  get idpRequests(): number {
    return this.idps.partner.requests.length + this.idps.corp.requests.length + this.idps.legacy.requests.length;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    merged[key] = isPlainObject(value) && isPlainObject(merged[key]) ? deepMerge(merged[key], value) : value;
  }
  return merged;
}
