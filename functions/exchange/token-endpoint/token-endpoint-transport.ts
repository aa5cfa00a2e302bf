import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

/**
 * One HTTP POST to a token endpoint, bounded in every direction: a connect timeout, a
 * timeout for the whole attempt (connect, send, headers, body), a response size cap
 * enforced while streaming, and never a redirect (node:http does not follow them; the
 * caller sees the 3xx and refuses it). Keep-alive agents live at module scope so warm
 * Lambda invocations reuse connections.
 */

export interface TransportRequest {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** application/x-www-form-urlencoded body. */
  readonly body: string;
  /** Budget for the TCP (and TLS) handshake of a new connection. */
  readonly connectTimeoutMs: number;
  /** Budget for the whole attempt, from the call until the last body byte. */
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The HTTP seam of the token endpoint client; tests may pass their own. */
export interface TokenEndpointTransport {
  post(request: TransportRequest): Promise<TransportResponse>;
}

export const TransportFailureKind = {
  ConnectTimeout: 'connect_timeout',
  Timeout: 'timeout',
  Network: 'network',
  TooLarge: 'too_large',
} as const;
export type TransportFailureKind = (typeof TransportFailureKind)[keyof typeof TransportFailureKind];

/** A failed attempt. The message names scheme, host and path only, never a query or a credential. */
export class TransportFailure extends Error {
  readonly kind: TransportFailureKind;

  constructor(kind: TransportFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportFailure';
    this.kind = kind;
  }
}

export interface NodeHttpTransportOptions {
  readonly httpAgent?: http.Agent;
  readonly httpsAgent?: https.Agent;
}

const sharedAgents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 32, timeout: 30_000 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 32, timeout: 30_000 }),
};

export class NodeHttpTransport implements TokenEndpointTransport {
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;

  constructor(options: NodeHttpTransportOptions = {}) {
    this.#httpAgent = options.httpAgent ?? sharedAgents.http;
    this.#httpsAgent = options.httpsAgent ?? sharedAgents.https;
  }

  post(request: TransportRequest): Promise<TransportResponse> {
    const { url } = request;
    const isHttps = url.protocol === 'https:';
    const where = `${url.protocol}//${url.host}${url.pathname}`;

    return new Promise<TransportResponse>((resolve, reject) => {
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const finish = (failure: TransportFailure | undefined, response?: TransportResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(attemptTimer);
        clearTimeout(connectTimer);
        if (failure) {
          req.destroy();
          reject(failure);
        } else {
          resolve(response!);
        }
      };
      const attemptTimer = setTimeout(
        () => finish(new TransportFailure(TransportFailureKind.Timeout, `no complete answer from ${where} within ${request.timeoutMs} ms`)),
        request.timeoutMs,
      );

      const req = (isHttps ? https : http).request(
        url,
        {
          method: 'POST',
          agent: isHttps ? this.#httpsAgent : this.#httpAgent,
          headers: {
            ...request.headers,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': String(Buffer.byteLength(request.body)),
          },
        },
        (res) => {
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > request.maxResponseBytes) {
            res.resume();
            finish(new TransportFailure(TransportFailureKind.TooLarge, `answer from ${where} declares more than ${request.maxResponseBytes} bytes`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > request.maxResponseBytes) {
              finish(new TransportFailure(TransportFailureKind.TooLarge, `answer from ${where} exceeds ${request.maxResponseBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (!res.complete) {
              finish(new TransportFailure(TransportFailureKind.Network, `answer from ${where} ended early`));
              return;
            }
            finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          });
          res.on('aborted', () => finish(new TransportFailure(TransportFailureKind.Network, `answer from ${where} was cut off`)));
          res.on('error', (error) => finish(new TransportFailure(TransportFailureKind.Network, `reading the answer from ${where} failed`, { cause: error })));
        },
      );

      // A reused keep-alive socket is already connected: only new connections get the connect timer.
      req.on('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(
          () => finish(new TransportFailure(TransportFailureKind.ConnectTimeout, `no connection to ${where} within ${request.connectTimeoutMs} ms`)),
          request.connectTimeoutMs,
        );
        socket.once(isHttps ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      req.on('error', (error) => finish(new TransportFailure(TransportFailureKind.Network, `request to ${where} failed`, { cause: error })));
      req.end(request.body);
    });
  }
}
