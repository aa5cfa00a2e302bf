/**
 * A real Model Context Protocol server for the local stack and the tests, built with the
 * official SDK (`@modelcontextprotocol/sdk`: McpServer + StreamableHTTPServerTransport) on
 * node:http, 127.0.0.1 and an ephemeral port. It serves Streamable HTTP at `/mcp` with
 * sessions (`Mcp-Session-Id`), answering each POST as an SSE stream (the SDK's default), so
 * what reaches it through gatepass proves the relay: session and protocol headers both ways,
 * `text/event-stream` answers.
 *
 * It records the bearer token of every request (and its JWT claims, decoded without
 * verification: gatepass already validated what it forwards), so a test can tell an exchanged
 * token from the caller's. Its tools:
 * - `whoami`: the claims of the bearer token this server received with the call (never the token);
 * - `server_time`: the server's clock, a tool with nothing to do with tokens.
 *
 * A `GET /mcp` (the optional server-to-client stream) is answered 405: this server offers none,
 * as the Streamable HTTP transport allows.
 * https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#listening-for-messages-from-the-server
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { decodeJwt } from 'jose';
import { closeServer, listenOnLoopback } from './loopback-server.js';

const MCP_SERVER_PATH = '/mcp';

export interface McpRequestRecord {
  readonly method: string;
  /** The JSON-RPC methods of a POST body (`initialize`, `tools/list`, ...); empty for other requests. */
  readonly rpcMethods: readonly string[];
  /** The bearer token received, or undefined without one. */
  readonly bearerToken: string | undefined;
  /** Its JWT claims, decoded without verification; null for no token or an opaque one. */
  readonly claims: Record<string, unknown> | null;
  readonly sessionId: string | undefined;
  readonly protocolVersion: string | undefined;
}

export interface LocalMcpServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** `<origin>/mcp`, the Streamable HTTP endpoint. */
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: McpRequestRecord[];
  /** Sessions initialized so far. */
  readonly sessions: number;
  stop(): Promise<void>;
}

/** The `whoami` tool's answer: the claims that say who the token is for, from whom. */
export interface WhoamiResult {
  readonly iss: unknown;
  readonly aud: unknown;
  readonly sub: unknown;
  readonly scope: unknown;
  readonly client_id: unknown;
  readonly act: unknown;
}

const bearerOf = (authorization: string | string[] | undefined) =>
  /^Bearer\s+(\S+)$/i.exec(Array.isArray(authorization) ? (authorization[0] ?? '') : (authorization ?? ''))?.[1];

function claimsOf(token: string | undefined): Record<string, unknown> | null {
  if (token === undefined) return null;
  try {
    return decodeJwt(token) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function rpcMethodsOf(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => (typeof m === 'object' && m !== null && typeof (m as { method?: unknown }).method === 'string' ? [(m as { method: string }).method] : []));
}

/** One McpServer per session, as the SDK's stateful examples do: a server instance serves one transport. */
function newMcpServer(): McpServer {
  const server = new McpServer({ name: 'gatepass-demo-mcp', version: '1.0.0' });
  server.registerTool('whoami', { description: 'The claims of the bearer token this MCP server received with this call (never the token itself)' }, (extra) => {
    const claims = claimsOf(bearerOf(extra.requestInfo?.headers['authorization'])) ?? {};
    const result: WhoamiResult = {
      iss: claims['iss'] ?? null,
      aud: claims['aud'] ?? null,
      sub: claims['sub'] ?? null,
      scope: claims['scope'] ?? null,
      client_id: claims['client_id'] ?? null,
      act: claims['act'] ?? null,
    };
    return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: { ...result } };
  });
  server.registerTool('server_time', { description: "The MCP server's clock, in ISO 8601" }, () => ({ content: [{ type: 'text', text: new Date().toISOString() }] }));
  return server;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? undefined : JSON.parse(text));
      } catch {
        resolve(undefined);
      }
    });
    req.on('error', reject);
  });
}

export async function startMcpServer(): Promise<LocalMcpServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const requests: McpRequestRecord[] = [];
  let sessions = 0;

  const plain = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const body = req.method === 'POST' ? await readJson(req) : (req.resume(), undefined);
    const sessionHeader = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    const bearerToken = bearerOf(req.headers.authorization);
    const protocol = req.headers['mcp-protocol-version'];
    requests.push({
      method: req.method ?? 'GET',
      rpcMethods: rpcMethodsOf(body),
      bearerToken,
      claims: claimsOf(bearerToken),
      sessionId,
      protocolVersion: Array.isArray(protocol) ? protocol[0] : protocol,
    });
    if (path !== MCP_SERVER_PATH) return plain(res, 404, 'not found');
    if (req.method === 'GET') return plain(res, 405, 'this server offers no server-to-client stream', { allow: 'POST, DELETE' });

    const known = sessionId === undefined ? undefined : transports.get(sessionId);
    if (known) return known.handleRequest(req, res, body);
    if (sessionId !== undefined) return plain(res, 404, 'unknown session');
    if (req.method !== 'POST' || !rpcMethodsOf(body).includes('initialize')) return plain(res, 400, 'no session: initialize first');

    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions += 1;
        transports.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
    };
    await newMcpServer().connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) plain(res, 500, 'internal error');
      else res.end();
    });
  });
  const origin = await listenOnLoopback(server, 0);
  return {
    origin,
    url: `${origin}${MCP_SERVER_PATH}`,
    requests,
    get sessions() {
      return sessions;
    },
    stop: async () => {
      await Promise.all([...transports.values()].map((t) => t.close()));
      await closeServer(server);
    },
  };
}
