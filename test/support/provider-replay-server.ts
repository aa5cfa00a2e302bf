/**
 * A token endpoint on 127.0.0.1 that replays what a real provider documents it answers, for
 * the provider suite (test/providers). Each test scripts the answer as a function of the
 * request, so the replay can answer as the provider does (a wrong secret gets the provider's
 * bad-credentials answer, a `resource` it refuses gets its refusal); every request is
 * recorded with its headers and parsed form, so a test can assert what gatepass sent against
 * what the provider documents it needs.
 *
 *   const replay = await startReplayServer();
 *   replay.answer('/realms/corp/protocol/openid-connect/token', (request) => replayJson(200, { ... }));
 *   replay.requests[0].form.get('audience'); replay.requests[0].headers.authorization;
 *
 * Hand-written rather than the fault server (token-endpoint-fault-server.ts): that one plays a
 * queue of malformed answers in order; a provider's answer depends on the request.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReplayedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent. */
  readonly body: string;
  /** The body parsed as application/x-www-form-urlencoded. */
  readonly form: URLSearchParams;
}

export interface ReplayAnswer {
  readonly status: number;
  /** An object is sent as JSON; a string as given. */
  readonly body: unknown;
  /** Default `content-type: application/json` for object bodies. */
  readonly headers?: Readonly<Record<string, string>>;
}

export type Responder = (request: ReplayedRequest) => ReplayAnswer | Promise<ReplayAnswer>;

/** A JSON answer with the provider's own content type when it documents one. */
export function replayJson(status: number, body: unknown, contentType = 'application/json'): ReplayAnswer {
  return { status, body, headers: { 'content-type': contentType } };
}

export interface ReplayServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every request, oldest first. */
  readonly requests: ReplayedRequest[];
  /** Requests to one path. */
  requestsTo(path: string): ReplayedRequest[];
  /** Sets (or replaces) the responder of a path; other paths answer 404. */
  answer(path: string, responder: Responder): void;
  stop(): Promise<void>;
}

export async function startReplayServer(): Promise<ReplayServer> {
  const responders = new Map<string, Responder>();
  const requests: ReplayedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?', 1)[0]!;
      const request: ReplayedRequest = { method: req.method ?? '', path, headers: req.headers, body, form: new URLSearchParams(body) };
      requests.push(request);
      const responder = responders.get(path);
      if (!responder) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such path');
        return;
      }
      void Promise.resolve(responder(request)).then((answer) => {
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        const headers = { ...(typeof answer.body === 'string' ? {} : { 'content-type': 'application/json' }), ...answer.headers };
        res.writeHead(answer.status, { ...headers, 'content-length': Buffer.byteLength(text) }).end(text);
      });
    });
  });
  // Keep-alive sockets must not hold the server open after a test.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    answer: (path, responder) => {
      responders.set(path, responder);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The client id and secret of an RFC 6749 §2.3.1 Basic header (each form-urlencoded), if there is one. */
export function basicCredentials(request: ReplayedRequest): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic (\S+)$/.exec(request.headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unescape = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
  return { clientId: unescape(decoded.slice(0, colon)), clientSecret: unescape(decoded.slice(colon + 1)) };
}

/** Whether the request authenticates as this client with an HTTP Basic header (client_secret_basic). */
export function authenticatesWithBasic(request: ReplayedRequest, client: { readonly client_id: string; readonly client_secret: string }): boolean {
  const credentials = basicCredentials(request);
  return credentials?.clientId === client.client_id && credentials.clientSecret === client.client_secret;
}

/** The client id and secret of `client_secret_post` (RFC 6749 §2.3.1, in the form), if there are both. */
export function postedCredentials(request: ReplayedRequest): { clientId: string; clientSecret: string } | undefined {
  const clientId = request.form.get('client_id');
  const clientSecret = request.form.get('client_secret');
  return clientId !== null && clientSecret !== null ? { clientId, clientSecret } : undefined;
}
