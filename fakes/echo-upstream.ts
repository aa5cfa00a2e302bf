import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { closeServer } from './loopback-server.js';

/**
 * An upstream service for tests, on 127.0.0.1 and an ephemeral port. By default it answers
 * every request with 200 and a JSON description of what it received (EchoedRequest), so a
 * test can assert exactly what gatepass forwarded. A responder can take over any request
 * (redirects, large or binary bodies, silence, 401s); every request is recorded either way.
 */

export interface EchoedRequest {
  readonly method: string;
  /** The request target's path, still percent-encoded, as it arrived. */
  readonly path: string;
  /** The raw query string without `?` ('' when none). */
  readonly query: string;
  /** Lower-cased names, every value in arrival order. */
  readonly headers: Record<string, string[]>;
  readonly bodyBase64: string;
  /** The bearer token's JWT claims, decoded without verification; null for no token or an opaque one. */
  readonly claims: Record<string, unknown> | null;
}

/** Return true when the responder answered the request itself. */
export type EchoResponder = (req: IncomingMessage, res: ServerResponse, echoed: EchoedRequest) => boolean | Promise<boolean>;

export interface EchoUpstream {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every request received, oldest first. */
  readonly requests: EchoedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  readonly connections: number;
  /** Replaces the responder (undefined: echo everything). */
  respondWith(responder: EchoResponder | undefined): void;
  close(): Promise<void>;
}

function claimsOf(authorization: string[] | undefined): Record<string, unknown> | null {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.[0] ?? '');
  if (!match) return null;
  try {
    return decodeJwt(match[1]!) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function describe(req: IncomingMessage, body: Buffer): EchoedRequest {
  const headers: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    (headers[name] ??= []).push(req.rawHeaders[i + 1]!);
  }
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  return {
    method: req.method ?? '',
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    headers,
    bodyBase64: body.toString('base64'),
    claims: claimsOf(headers['authorization']),
  };
}

export async function startEchoUpstream(options: { responder?: EchoResponder } = {}): Promise<EchoUpstream> {
  let responder = options.responder;
  const requests: EchoedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echoed = describe(req, Buffer.concat(chunks));
      requests.push(echoed);
      void (async () => {
        if (responder && (await responder(req, res, echoed))) return;
        const body = JSON.stringify(echoed);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      })();
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    respondWith: (next) => {
      responder = next;
    },
    close: () => closeServer(server),
  };
}
