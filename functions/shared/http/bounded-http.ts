import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

/**
 * The one HTTP client of the functions: JWKS, introspection, the token endpoint and the
 * upstream forwarder all send through `boundedRequest`, so every outbound call has the same
 * bounds: a connect timeout covering DNS, TCP and TLS of a new connection, a deadline for the
 * whole attempt, a response size cap (declared and while streaming), cut-off bodies refused,
 * never a redirect (the caller sees the 3xx), and keep-alive pools reused across invocations.
 *
 * Hand-written on node:http, not undici: bundled like the Lambdas (minified ESM, node22),
 * undici 7.30 weighs 535 KB, imports in 47.7 ms and needs a createRequire banner; this module
 * weighs 2.4 KB and imports in 5.9 ms (empty module: 2.8 ms; medians of 11 fresh node 20 processes).
 */

export const HttpRequestErrorKind = {
  /** No DNS answer, TCP connection or TLS handshake within the connect timeout. */
  ConnectTimeout: 'connect_timeout',
  /** No complete answer within the attempt's deadline. */
  Timeout: 'timeout',
  /** The answer declared, or sent, more bytes than the cap. */
  TooLarge: 'too_large',
  /** The connection ended before the body announced by the answer was complete. */
  CutOff: 'cut_off',
  /** Refused, reset, DNS or TLS failure, malformed answer. */
  Network: 'network',
} as const;
export type HttpRequestErrorKind = (typeof HttpRequestErrorKind)[keyof typeof HttpRequestErrorKind];

/** A request without a usable answer. The message names scheme, host and path only: never a query or a credential. */
export class HttpRequestError extends Error {
  readonly kind: HttpRequestErrorKind;
  /**
   * A reused keep-alive socket the server had already closed failed before any answer:
   * the request may be replayed once on a new connection if it is idempotent.
   */
  readonly staleConnection: boolean;

  constructor(kind: HttpRequestErrorKind, message: string, options?: { cause?: unknown; staleConnection?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpRequestError';
    this.kind = kind;
    this.staleConnection = options?.staleConnection ?? false;
  }
}

/**
 * Keep-alive agents for http: and https:. At most 64 sockets per origin (a Lambda container
 * serves one invocation at a time, so a ceiling, not a target); an idle socket is closed
 * after 15 s, before most servers drop theirs (fewer resets on reuse); LIFO so the warmest
 * socket is reused and the others can idle out. Build one at init, never per request.
 */
export class ConnectionPool {
  readonly #http: http.Agent;
  readonly #https: https.Agent;

  constructor() {
    const options = { keepAlive: true, maxSockets: 64, timeout: 15_000, scheduling: 'lifo' as const };
    this.#http = new http.Agent(options);
    this.#https = new https.Agent(options);
  }

  agentFor(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.#https : this.#http;
  }

  /** Closes every socket of the pool (tests, graceful shutdown); the pool stays usable. */
  destroy(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** Used by every request that names no pool of its own. */
const sharedPool = new ConnectionPool();

export interface BoundedRequest {
  readonly url: URL | string;
  /** Default GET. */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  /** Sent with a Content-Length unless `headers` has one. */
  readonly body?: string | Buffer;
  /** Budget for the DNS lookup, TCP connect and TLS handshake of a new connection (a reused one is already connected). */
  readonly connectTimeoutMs: number;
  /** Budget for the whole attempt, from the call until the last body byte. */
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** Default: the pool shared by every caller that names none. */
  readonly pool?: ConnectionPool;
  /** How error messages name the destination; default scheme, host and path (never the query). */
  readonly target?: string;
}

export interface BoundedResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Names as sent and every repeated value, in order (for a proxy that forwards them). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

/** Errors of a reused keep-alive socket that the server had already closed. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** Sends one request and reads its whole answer within the bounds; rejects with HttpRequestError only. */
export function boundedRequest(request: BoundedRequest): Promise<BoundedResponse> {
  const url = typeof request.url === 'string' ? new URL(request.url) : request.url;
  const isHttps = url.protocol === 'https:';
  const where = request.target ?? `${url.protocol}//${url.host}${url.pathname}`;
  const { connectTimeoutMs, timeoutMs, maxResponseBytes, body } = request;
  const headers =
    body !== undefined && request.headers?.['content-length'] === undefined
      ? { ...request.headers, 'content-length': String(Buffer.byteLength(body)) }
      : request.headers;

  return new Promise<BoundedResponse>((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      // node:http never follows a redirect: a 3xx comes back like any answer.
      req = (isHttps ? https : http).request(url, { method: request.method ?? 'GET', headers, agent: (request.pool ?? sharedPool).agentFor(url) });
    } catch (error) {
      // Refused before sending (an invalid header, method or protocol).
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
      reject(new HttpRequestError(HttpRequestErrorKind.Network, `request to ${where} could not be sent (${code})`, { cause: error }));
      return;
    }

    let settled = false;
    let responded = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (failure: HttpRequestError | undefined, response?: BoundedResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadlineTimer);
      clearTimeout(connectTimer);
      if (failure) {
        // Also drops the socket: an unread or half-read answer must not be reused.
        req.destroy();
        reject(failure);
      } else {
        resolve(response!);
      }
    };
    const fail = (kind: HttpRequestErrorKind, message: string, options?: { cause?: unknown; staleConnection?: boolean }) =>
      finish(new HttpRequestError(kind, message, options));

    const deadlineTimer = setTimeout(() => fail(HttpRequestErrorKind.Timeout, `no complete answer from ${where} within ${timeoutMs} ms`), timeoutMs);

    req.on('socket', (socket: Socket) => {
      // A reused keep-alive socket is already connected (and its TLS established): no connect timer.
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => fail(HttpRequestErrorKind.ConnectTimeout, `could not connect to ${where} within ${connectTimeoutMs} ms`), connectTimeoutMs);
      socket.once(isHttps ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });

    req.on('response', (res: http.IncomingMessage) => {
      responded = true;
      const declared = Number(res.headers['content-length']);
      // A HEAD answer has no body: its Content-Length is the size of a GET's.
      if (request.method !== 'HEAD' && Number.isFinite(declared) && declared > maxResponseBytes) {
        fail(HttpRequestErrorKind.TooLarge, `answer from ${where} exceeds ${maxResponseBytes} bytes (declares ${declared})`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const cutOff = () => fail(HttpRequestErrorKind.CutOff, `answer from ${where} was cut off before its end`);
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) fail(HttpRequestErrorKind.TooLarge, `answer from ${where} exceeds ${maxResponseBytes} bytes`);
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (!res.complete) cutOff();
        else finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks, size) });
      });
      // A connection closed mid-body ends in 'error' (ECONNRESET "aborted") or 'close', without 'end' and with
      // `complete` false; 'close' replaces the deprecated 'aborted' (https://nodejs.org/api/http.html#event-aborted).
      res.on('error', (error) => (res.complete ? fail(HttpRequestErrorKind.Network, `reading the answer from ${where} failed`, { cause: error }) : cutOff()));
      res.on('close', () => {
        if (!res.complete) cutOff();
      });
    });

    req.on('error', (error: NodeJS.ErrnoException) => {
      const staleConnection = req.reusedSocket && !responded && STALE_SOCKET_CODES.has(error.code ?? '');
      fail(HttpRequestErrorKind.Network, `request to ${where} failed (${error.code ?? error.name})`, { cause: error, staleConnection });
    });

    req.end(body);
  });
}
