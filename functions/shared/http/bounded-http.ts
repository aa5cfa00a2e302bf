import http from 'node:http';
import https from 'node:https';

/**
 * A small HTTP client for the few calls the functions make to configured URLs (JWKS,
 * introspection): one total deadline, a response size cap enforced while streaming,
 * never a redirect, keep-alive agents shared across invocations.
 */

export interface BoundedRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whole request budget: connect, send, headers and body. */
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export interface BoundedResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export const HttpFailureReason = {
  Timeout: 'timeout',
  TooLarge: 'too_large',
  Network: 'network',
} as const;
export type HttpFailureReason = (typeof HttpFailureReason)[keyof typeof HttpFailureReason];

/** A transport failure. The message names the host, never the query or a credential. */
export class HttpFailure extends Error {
  readonly reason: HttpFailureReason;

  constructor(reason: HttpFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpFailure';
    this.reason = reason;
  }
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16, timeout: 30_000 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16, timeout: 30_000 }),
};

export function boundedRequest(request: BoundedRequest): Promise<BoundedResponse> {
  const url = new URL(request.url);
  const isHttps = url.protocol === 'https:';
  const transport = isHttps ? https : http;
  const where = `${url.protocol}//${url.host}${url.pathname}`;

  return new Promise<BoundedResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, response?: BoundedResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        req.destroy();
        reject(error);
      } else {
        resolve(response!);
      }
    };
    const timer = setTimeout(
      () => finish(new HttpFailure(HttpFailureReason.Timeout, `no complete answer from ${where} within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );

    const req = transport.request(
      url,
      {
        method: request.method ?? 'GET',
        agent: isHttps ? agents.https : agents.http,
        headers: {
          accept: 'application/json',
          ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}),
          ...request.headers,
        },
      },
      (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > request.maxBytes) {
          res.resume();
          finish(new HttpFailure(HttpFailureReason.TooLarge, `answer from ${where} exceeds ${request.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxBytes) {
            finish(new HttpFailure(HttpFailureReason.TooLarge, `answer from ${where} exceeds ${request.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (error) => finish(new HttpFailure(HttpFailureReason.Network, `reading the answer from ${where} failed`, { cause: error })));
      },
    );
    req.on('error', (error) => finish(new HttpFailure(HttpFailureReason.Network, `request to ${where} failed`, { cause: error })));
    if (request.body !== undefined) req.end(request.body);
    else req.end();
  });
}
