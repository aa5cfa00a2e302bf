import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../fakes/loopback-server.js';
import { DEMO_ISSUERS, type DemoIssuer, type DemoToken, type DemoTokenRequest } from './demo-tokens.js';

/**
 * The local stack's control endpoint (127.0.0.1 only; not part of the API): what a second
 * terminal, `npm run token`, `npm run invoke` and the end-to-end tests use to reach into
 * the running stack.
 *
 *   GET  /token?issuer=partner&scope=orders:read[&sub=alice][&expired=true]  → {access_token, issuer, expires_at, how}
 *   POST /faults/token-endpoint/down | /faults/token-endpoint/up              → cut or restore the corporate token endpoint
 *   POST /functions/<authorizer|exchange>/restart                             → end the function's containers (next call: cold start)
 *   GET  /mcp-client                                                          → {client_id, client_secret, issuer, scope}: the demo MCP client's registration at the corporate AS
 *   GET  /                                                                    → the stack's URLs
 */
export interface ControlActions {
  issueToken(request: DemoTokenRequest): Promise<DemoToken>;
  setTokenEndpoint(state: 'down' | 'up'): void;
  restartFunction(name: string): Promise<boolean>;
  /** The demo MCP client's credentials (random per start; loopback only, like the demo tokens /token hands out). */
  mcpClient(): { readonly clientId: string; readonly clientSecret: string; readonly issuer: string; readonly scope: string };
  describe(): Record<string, unknown>;
}

export class ControlServer {
  readonly #server: Server;
  #url = '';

  constructor(private readonly actions: ControlActions) {
    this.#server = createServer((req, res) => void this.#serve(req, res));
  }

  get url(): string {
    return this.#url;
  }

  async start(port = 0): Promise<string> {
    this.#url = await listenOnLoopback(this.#server, port);
    return this.#url;
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://control');
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/token') {
        const issuer = url.searchParams.get('issuer') ?? 'partner';
        if (!DEMO_ISSUERS.includes(issuer as DemoIssuer)) return send(400, { error: `issuer must be one of ${DEMO_ISSUERS.join(', ')}` });
        const sub = url.searchParams.get('sub');
        const token = await this.actions.issueToken({
          issuer: issuer as DemoIssuer,
          scope: url.searchParams.getAll('scope').flatMap((s) => s.split(/\s+/)).filter(Boolean),
          ...(sub ? { subject: sub } : {}),
          expired: url.searchParams.get('expired') === 'true',
        });
        return send(200, { access_token: token.token, token_type: 'Bearer', issuer: token.issuer, expires_at: token.expiresAt, how: token.how });
      }
      const fault = /^\/faults\/token-endpoint\/(down|up)$/.exec(url.pathname);
      if (req.method === 'POST' && fault) {
        this.actions.setTokenEndpoint(fault[1] as 'down' | 'up');
        return send(200, { tokenEndpoint: fault[1] });
      }
      const restart = /^\/functions\/([a-z-]+)\/restart$/.exec(url.pathname);
      if (req.method === 'POST' && restart) {
        return (await this.actions.restartFunction(restart[1]!)) ? send(200, { restarted: restart[1] }) : send(404, { error: `no function ${restart[1]}` });
      }
      if (req.method === 'GET' && url.pathname === '/mcp-client') {
        const client = this.actions.mcpClient();
        return send(200, { client_id: client.clientId, client_secret: client.clientSecret, issuer: client.issuer, scope: client.scope });
      }
      if (req.method === 'GET' && url.pathname === '/') return send(200, this.actions.describe());
      return send(404, { error: 'not found' });
    } catch (error) {
      return send(500, { error: (error as Error).message });
    }
  }
}
