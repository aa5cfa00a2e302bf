/**
 * Fixtures for tests of the token endpoint client (functions/exchange/token-endpoint/token-endpoint-client.ts):
 * a valid configuration around given authorization servers, an in-memory client secret
 * source with Powertools-like caching, and a clock tests can move forward. Telemetry is
 * recorded with RecordingSinks (recording-sinks.ts).
 */
import { parseConfig } from '../../functions/shared/config/config-validator.js';
import type { GatepassConfig, GatepassConfigInput } from '../../functions/shared/config/config-schema.js';
import { parseClientSecret, type ClientCredentials, type ClientSecretSource } from '../../functions/exchange/token-endpoint/client-secrets.js';
import type { Clock } from '../../functions/exchange/exchange-clock.js';

export interface TestAuthorizationServer {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  /** Absent only with clientAuth "none". */
  readonly clientSecretId?: string;
  readonly grant?: 'token-exchange' | 'jwt-bearer';
  readonly parameters?: Readonly<Record<string, string>>;
  readonly jwksUri?: string;
}

type ExchangeSettingsInput = NonNullable<NonNullable<GatepassConfigInput['settings']>['exchange']>;

/** A validated configuration with these authorization servers (and a placeholder issuer and route). */
export function tokenClientConfig(servers: Readonly<Record<string, TestAuthorizationServer>>, exchange: ExchangeSettingsInput = {}): GatepassConfig {
  const first = Object.keys(servers)[0]!;
  return parseConfig({
    version: 1,
    insecureLoopbackHttp: true,
    issuers: { partner: { issuer: 'http://127.0.0.1:9/partner', jwksUri: 'http://127.0.0.1:9/partner/jwks' } },
    authorizationServers: servers,
    routes: [
      {
        id: 'test-route',
        method: 'GET',
        path: '/test',
        upstream: 'http://127.0.0.1:9/upstream',
        acceptedIssuers: ['partner'],
        exchange: { authorizationServer: first },
      },
    ],
    settings: { exchange },
  });
}

/**
 * Client secrets in memory, cached like Powertools does: `get` answers the cached version,
 * `refresh` reads the stored one. `store` changes the stored secret (a rotation the cache
 * has not seen yet); `reads` counts reads that reached the "store".
 */
export class MemoryClientSecrets implements ClientSecretSource {
  readonly #stored = new Map<string, string>();
  readonly #cached = new Map<string, ClientCredentials>();
  reads = 0;

  constructor(initial: Readonly<Record<string, string | object>> = {}) {
    for (const [id, value] of Object.entries(initial)) this.store(id, value);
  }

  store(secretId: string, value: string | object): void {
    this.#stored.set(secretId, typeof value === 'string' ? value : JSON.stringify(value));
  }

  async get(secretId: string): Promise<ClientCredentials> {
    return this.#cached.get(secretId) ?? this.refresh(secretId);
  }

  async refresh(secretId: string): Promise<ClientCredentials> {
    this.reads += 1;
    const text = this.#stored.get(secretId);
    if (text === undefined) throw new Error(`no secret ${secretId}`);
    const credentials = parseClientSecret(text, secretId);
    this.#cached.set(secretId, credentials);
    return credentials;
  }
}

/**
 * Real time plus an offset tests can move. Sleeps are recorded; they are real (keep them
 * short) unless `virtualSleeps`, which moves the offset instead of waiting.
 */
export class ShiftableClock implements Clock {
  offsetMs = 0;
  readonly sleeps: number[] = [];

  constructor(readonly virtualSleeps = false) {}

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    if (this.virtualSleeps) {
      this.advance(ms);
      return Promise.resolve();
    }
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
