/**
 * A scriptable token endpoint on 127.0.0.1 for the answers a real authorization server does
 * not give: malformed JSON, wrong or missing fields, odd `expires_in`, 429 with Retry-After,
 * 5xx, slow headers, a slow body, an oversized body, redirects, reset connections, silence.
 *
 *   const fault = await startFaultServer();
 *   fault.queue(answers.status(503), answers.json(validTokenAnswer()));   // in order
 *   fault.fallback = answers.json(validTokenAnswer());                    // after the queue
 *   fault.requests[0].form.get('subject_token'); fault.requests[0].headers.authorization;
 *
 * Every request is recorded (headers and parsed form) so tests can check what the client sent.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultAnswer =
  /** A JSON body (any value, also invalid shapes); content-type application/json unless overridden. */
  | { readonly kind: 'json'; readonly status?: number; readonly body: unknown; readonly headers?: Readonly<Record<string, string>> }
  /** Bytes as given. */
  | { readonly kind: 'raw'; readonly status?: number; readonly body: string; readonly headers?: Readonly<Record<string, string>> }
  /** Waits before sending anything, then answers `then`. */
  | { readonly kind: 'slow_headers'; readonly delayMs: number; readonly then: FaultAnswer }
  /** Sends headers at once, then the body in pieces `intervalMs` apart. */
  | { readonly kind: 'slow_body'; readonly body: string; readonly pieces: number; readonly intervalMs: number }
  /** A body of `bytes` bytes; with `declareLength` false it is chunked (no Content-Length). */
  | { readonly kind: 'oversized'; readonly bytes: number; readonly declareLength: boolean }
  | { readonly kind: 'redirect'; readonly status: 301 | 302 | 303 | 307 | 308; readonly location: string }
  /** Destroys the connection without an answer. */
  | { readonly kind: 'reset' }
  /** Never answers. */
  | { readonly kind: 'hang' };

export const answers = {
  json: (body: unknown, status = 200, headers: Record<string, string> = {}): FaultAnswer => ({ kind: 'json', body, status, headers }),
  raw: (body: string, status = 200, headers: Record<string, string> = {}): FaultAnswer => ({ kind: 'raw', body, status, headers }),
  status: (status: number, headers: Record<string, string> = {}): FaultAnswer => ({ kind: 'raw', body: '', status, headers }),
  oauthError: (error: string, status = 400): FaultAnswer => ({ kind: 'json', status, body: { error, error_description: `test ${error}` } }),
  slowHeaders: (delayMs: number, then: FaultAnswer): FaultAnswer => ({ kind: 'slow_headers', delayMs, then }),
  slowBody: (body: string, pieces: number, intervalMs: number): FaultAnswer => ({ kind: 'slow_body', body, pieces, intervalMs }),
  oversized: (bytes: number, declareLength: boolean): FaultAnswer => ({ kind: 'oversized', bytes, declareLength }),
  redirect: (location: string, status: 301 | 302 | 303 | 307 | 308 = 302): FaultAnswer => ({ kind: 'redirect', status, location }),
  reset: (): FaultAnswer => ({ kind: 'reset' }),
  hang: (): FaultAnswer => ({ kind: 'hang' }),
};

/** A well-formed RFC 8693 answer; fields can be overridden or removed (value undefined). */
export function validTokenAnswer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    access_token: `issued-${randomUUID()}`,
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    token_type: 'Bearer',
    expires_in: 300,
    ...overrides,
  };
  for (const [key, value] of Object.entries(body)) if (value === undefined) Reflect.deleteProperty(body, key);
  return body;
}

export interface RecordedTokenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly form: URLSearchParams;
  /** Milliseconds since the server started. */
  readonly at: number;
}

export interface FaultServer {
  readonly origin: string;
  /** `<origin>/token`. */
  readonly tokenEndpoint: string;
  readonly requests: RecordedTokenRequest[];
  /** TCP connections accepted (keep-alive reuse shows as fewer connections than requests). */
  readonly connections: number;
  /** Answered when the queue is empty; default a valid token answer. */
  fallback: FaultAnswer | (() => FaultAnswer);
  /** Answers for the next requests, in order. */
  queue(...next: FaultAnswer[]): void;
  reset(): void;
  stop(): Promise<void>;
}

export async function startFaultServer(): Promise<FaultServer> {
  const pending: FaultAnswer[] = [];
  const requests: RecordedTokenRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const started = Date.now();
  let connections = 0;
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const state: { fallback: FaultAnswer | (() => FaultAnswer) } = { fallback: () => answers.json(validTokenAnswer()) };

  const send = (res: ServerResponse, answer: FaultAnswer): void => {
    if (res.destroyed) return;
    switch (answer.kind) {
      case 'json': {
        const text = JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...answer.headers });
        res.end(text);
        return;
      }
      case 'raw':
        res.writeHead(answer.status ?? 200, { 'content-length': Buffer.byteLength(answer.body), ...answer.headers });
        res.end(answer.body);
        return;
      case 'slow_headers':
        later(answer.delayMs, () => send(res, answer.then));
        return;
      case 'slow_body': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer.body) });
        const size = Math.ceil(answer.body.length / answer.pieces);
        let offset = 0;
        const next = () => {
          if (res.destroyed) return;
          const piece = answer.body.slice(offset, offset + size);
          offset += size;
          if (offset >= answer.body.length) res.end(piece);
          else {
            res.write(piece);
            later(answer.intervalMs, next);
          }
        };
        next();
        return;
      }
      case 'oversized': {
        const body = `{"access_token":"${'x'.repeat(Math.max(0, answer.bytes - 20))}"}`;
        res.writeHead(200, { 'content-type': 'application/json', ...(answer.declareLength ? { 'content-length': Buffer.byteLength(body) } : {}) });
        // Written in pieces so a client cap stops reading early.
        for (let i = 0; i < body.length && !res.destroyed; i += 16_384) res.write(body.slice(i, i + 16_384));
        res.end();
        return;
      }
      case 'redirect':
        res.writeHead(answer.status, { location: answer.location, 'content-length': 0 });
        res.end();
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'hang':
        return;
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: (req.url ?? '/').split('?')[0]!,
        headers: req.headers,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
        at: Date.now() - started,
      });
      const answer = pending.shift() ?? (typeof state.fallback === 'function' ? state.fallback() : state.fallback);
      send(res, answer);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    connections += 1;
    socket.on('close', () => sockets.delete(socket));
  });
  // Above 1 s: Node clients drop sockets whose server keep-alive hint is 1 s, which would hide reuse.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    tokenEndpoint: `${origin}/token`,
    requests,
    get connections() {
      return connections;
    },
    get fallback() {
      return state.fallback;
    },
    set fallback(answer) {
      state.fallback = answer;
    },
    queue: (...next) => void pending.push(...next),
    reset: () => {
      pending.length = 0;
      requests.length = 0;
      connections = 0;
      state.fallback = () => answers.json(validTokenAnswer());
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
