import type { RouteConfig, Settings } from '../../shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { boundedRequest, ConnectionPool, HttpRequestError, HttpRequestErrorKind } from '../../shared/http/bounded-http.js';
import { MetricName } from '../../shared/contracts/metric-names.js';
import { markSensitive } from '../../shared/telemetry/log-redaction.js';
import type { ProxyRequest } from '../proxy/proxy-event.js';
import { silentLog, silentMetrics, type LogSink, type MetricSink } from '../../shared/telemetry/telemetry-sinks.js';
import { forwardableResponseHeaders, planUpstreamRequest, type UpstreamRequestPlan } from './upstream-request.js';

/**
 * Sends a request to its route's upstream and reads the whole answer (a Lambda proxy result
 * is one buffer) through boundedRequest: a connect timeout, a total deadline, a body cap that
 * keeps the Lambda response under its 6 MB limit, never a redirect. The forwarder owns its
 * keep-alive pool: build one at init (module scope), not per request.
 */

/** Lambda's synchronous response payload limit (6 MB), which the JSON proxy result must fit. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;
/** Room kept for the proxy result's status, headers and JSON framing. */
const RESPONSE_ENVELOPE_RESERVE_BYTES = 64 * 1024;
/**
 * Largest upstream body gatepass returns: once base64-encoded (4 bytes per 3) it still
 * fits the limit with the envelope. 4,669,440 bytes.
 */
export const MAX_UPSTREAM_BODY_BYTES = Math.floor((LAMBDA_RESPONSE_LIMIT_BYTES - RESPONSE_ENVELOPE_RESERVE_BYTES) / 4) * 3;

export interface UpstreamResponse {
  readonly status: number;
  /** Lower-cased names, every value, hop-by-hop headers and Content-Length removed. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
  /**
   * The upstream answered 401 to the token gatepass sent: the handler may evict that
   * token from the cache, exchange once more and forward once more.
   */
  readonly tokenRejected: boolean;
  /** From the first byte sent to the last byte read, retries included. */
  readonly latencyMs: number;
}

export interface ForwardOptions {
  /** Sent as `Authorization: Bearer <token>`: the issued token, or the caller's for a passthrough. */
  readonly bearerToken: string;
  /** Epoch milliseconds the answer must arrive by (e.g. from the Lambda's remaining time); the tighter of this and `timeoutMs` wins. */
  readonly deadline?: number;
}

export interface UpstreamForwarderOptions {
  /** settings.upstream: `connectTimeoutMs` (TCP connect and TLS handshake) and `timeoutMs` (whole exchange with the upstream). */
  readonly timeouts: Settings['upstream'];
  /** Default MAX_UPSTREAM_BODY_BYTES. */
  readonly maxResponseBytes?: number;
  readonly log?: LogSink;
  readonly metrics?: MetricSink;
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

type AttemptFailure = { readonly error: GatepassError; readonly staleSocket: boolean };

function rawHeaderMap(raw: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const list = headers.get(name);
    if (list) list.push(raw[i + 1]!);
    else headers.set(name, [raw[i + 1]!]);
  }
  return headers;
}

/** The gatepass code of a failed upstream request: no connection or no answer in time is a 504, anything else a 502. */
function upstreamFailure(error: HttpRequestError): GatepassError {
  switch (error.kind) {
    case HttpRequestErrorKind.ConnectTimeout:
    case HttpRequestErrorKind.Timeout:
      return new GatepassError(ErrorCode.UpstreamTimeout, error.message, { cause: error });
    case HttpRequestErrorKind.TooLarge:
      return new GatepassError(ErrorCode.UpstreamUnavailable, `${error.message}, the most a Lambda proxy response can carry once base64-encoded (6 MB limit)`, {
        cause: error,
      });
    case HttpRequestErrorKind.CutOff:
    case HttpRequestErrorKind.Network:
      return new GatepassError(ErrorCode.UpstreamUnavailable, error.message, { cause: error });
  }
}

export class UpstreamForwarder {
  private readonly pool = new ConnectionPool();
  private readonly maxResponseBytes: number;
  private readonly log: LogSink;
  private readonly metrics: MetricSink;
  private readonly now: () => number;

  constructor(private readonly options: UpstreamForwarderOptions) {
    this.maxResponseBytes = options.maxResponseBytes ?? MAX_UPSTREAM_BODY_BYTES;
    this.log = options.log ?? silentLog;
    this.metrics = options.metrics ?? silentMetrics;
    this.now = options.now ?? Date.now;
  }

  /**
   * Forwards `request` to `route.upstream`. Throws GatepassError: request_invalid (400,
   * a path that would leave the route's path), upstream_timeout (504, no connection or
   * no complete answer in time), upstream_unavailable (502, connection refused or reset,
   * TLS failure, malformed answer, or a body too large for a Lambda response).
   */
  async forward(route: RouteConfig, request: ProxyRequest, options: ForwardOptions): Promise<UpstreamResponse> {
    markSensitive(options.bearerToken);
    const plan = planUpstreamRequest(route, request, options.bearerToken);
    if (plan.invalidHeaders.length > 0) {
      this.log.warn('request headers with invalid characters not forwarded', { route: route.id, headers: plan.invalidHeaders });
    }
    const started = this.now();
    const deadline = Math.min(started + this.options.timeouts.timeoutMs, options.deadline ?? Number.POSITIVE_INFINITY);
    const where = `${plan.url.origin}`;
    try {
      let result = await this.attempt(plan, deadline);
      if ('error' in result && result.staleSocket && IDEMPOTENT.has(plan.method)) {
        // Node's documented pattern: an idle keep-alive socket the upstream closed fails on reuse; retry once on a fresh one.
        result = await this.attempt(plan, deadline);
      }
      if ('error' in result) throw result.error;
      return { ...result, latencyMs: this.now() - started };
    } catch (error) {
      const failure = error instanceof GatepassError ? error : new GatepassError(ErrorCode.UpstreamUnavailable, 'upstream request failed', { cause: error });
      this.log.warn('upstream request failed', { route: route.id, upstream: where, code: failure.code, reason: failure.message, latencyMs: this.now() - started });
      throw failure;
    } finally {
      this.metrics.timing(MetricName.UpstreamLatency, this.now() - started);
    }
  }

  /** Closes the idle keep-alive sockets (tests, and a graceful shutdown). */
  destroy(): void {
    this.pool.destroy();
  }

  private async attempt(plan: UpstreamRequestPlan, deadline: number): Promise<Omit<UpstreamResponse, 'latencyMs'> | AttemptFailure> {
    const where = plan.url.origin;
    try {
      const response = await boundedRequest({
        url: plan.url,
        method: plan.method,
        headers: plan.headers,
        ...(plan.body.length > 0 ? { body: plan.body } : {}),
        connectTimeoutMs: this.options.timeouts.connectTimeoutMs,
        timeoutMs: Math.max(0, deadline - this.now()),
        maxResponseBytes: this.maxResponseBytes,
        pool: this.pool,
        // The path is the caller's: messages and logs name the upstream's origin only.
        target: where,
      });
      return {
        status: response.status,
        headers: forwardableResponseHeaders(rawHeaderMap(response.rawHeaders)),
        body: response.body,
        tokenRejected: response.status === 401,
      };
    } catch (error) {
      if (!(error instanceof HttpRequestError)) throw error;
      return { error: upstreamFailure(error), staleSocket: error.staleConnection };
    }
  }
}
