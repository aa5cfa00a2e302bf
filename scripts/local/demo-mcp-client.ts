import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * The MCP client of the walkthrough and the end-to-end tests: the official SDK's `Client`
 * over `StreamableHTTPClientTransport`, authorized by its `ClientCredentialsProvider`. Nothing
 * is told to it but the MCP server's URL and its client credentials: it finds the protected
 * resource metadata itself (from the 401's `WWW-Authenticate`, or by probing
 * `/.well-known/oauth-protected-resource/<path>` when the challenge header is missing, as on a
 * REST API), then the authorization server's metadata, asks for a client_credentials token with
 * the metadata's `resource` (RFC 8707), lists the tools and calls one.
 *
 * Every HTTP exchange is recorded (method, URL, status, and for token requests the grant type
 * and resource), never a token or a secret, so the walkthrough can show what the client saw.
 */
export interface McpClientOptions {
  /** The MCP server's URL as the client is given it: gatepass's route, e.g. `http://127.0.0.1:4280/mcp`. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The authorization server the credentials belong to: the SDK sends them nowhere else. */
  readonly issuer: string;
  /**
   * The scope to ask for. The SDK's client_credentials flow requests the provider's configured
   * scope, not the metadata's `scopes_supported` nor the challenge's `scope` (`fetchToken` reads
   * `clientMetadata.scope`: node_modules/@modelcontextprotocol/sdk/dist/esm/client/auth.js).
   */
  readonly scope: string;
  /** The tool to call after listing; default `whoami`. */
  readonly tool?: string;
}

export interface McpHttpExchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** The challenge, when the answer carried one (under its own name or REST's renamed one). */
  readonly challenge?: { readonly header: string; readonly value: string };
  /** Token requests: the grant type, scope and resource indicator sent. */
  readonly grantType?: string;
  readonly scope?: string;
  readonly resource?: string;
  /** MCP requests: the JSON-RPC methods in the body. */
  readonly rpcMethods?: readonly string[];
}

export interface McpClientOutcome {
  readonly tools: readonly string[];
  readonly tool: string;
  /** The called tool's first text content. */
  readonly toolText: string;
  readonly exchanges: readonly McpHttpExchange[];
  /** The access token the client obtained and sent (kept for comparison with what the upstream got; never print it). */
  readonly callerToken: string | undefined;
}

/** The client failed; what it did until then, for the walkthrough to show. */
export class McpClientError extends Error {
  constructor(
    message: string,
    readonly exchanges: readonly McpHttpExchange[],
  ) {
    super(message);
    this.name = 'McpClientError';
  }
}

const CHALLENGE_HEADERS = ['www-authenticate', 'x-amzn-remapped-www-authenticate'];

/** A token request's form: what it asked for (its client credentials travel in the Authorization header, never read here). */
function describeForm(form: URLSearchParams): Pick<McpHttpExchange, 'grantType' | 'scope' | 'resource'> {
  const [grantType, scope, resource] = ['grant_type', 'scope', 'resource'].map((name) => form.get(name) ?? undefined);
  if (grantType === undefined) return {};
  return { grantType, ...(scope !== undefined ? { scope } : {}), ...(resource !== undefined ? { resource } : {}) };
}

function describeBody(body: RequestInit['body']): Pick<McpHttpExchange, 'grantType' | 'scope' | 'resource' | 'rpcMethods'> {
  if (body instanceof URLSearchParams) return describeForm(body);
  if (typeof body !== 'string') return {};
  try {
    const parsed = JSON.parse(body) as unknown;
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    return { rpcMethods: messages.flatMap((m: { method?: unknown }) => (typeof m?.method === 'string' ? [m.method] : [])) };
  } catch {
    return describeForm(new URLSearchParams(body));
  }
}

export async function runMcpClient(options: McpClientOptions): Promise<McpClientOutcome> {
  const exchanges: McpHttpExchange[] = [];
  const recordingFetch: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    const challengeHeader = CHALLENGE_HEADERS.find((name) => response.headers.has(name));
    exchanges.push({
      method: init?.method ?? 'GET',
      url: String(url),
      status: response.status,
      ...(challengeHeader ? { challenge: { header: challengeHeader, value: response.headers.get(challengeHeader)! } } : {}),
      ...describeBody(init?.body),
    });
    return response;
  };
  const provider = new ClientCredentialsProvider({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    expectedIssuer: options.issuer,
    scope: options.scope,
    clientName: 'gatepass demo MCP client',
  });
  const transport = new StreamableHTTPClientTransport(new URL(options.url), { authProvider: provider, fetch: recordingFetch });
  const client = new Client({ name: 'gatepass-demo-mcp-client', version: '1.0.0' });
  const tool = options.tool ?? 'whoami';
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    const result = await client.callTool({ name: tool, arguments: {} });
    const content = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
    return {
      tools: tools.map((t) => t.name),
      tool,
      toolText: content.find((c) => c.type === 'text')?.text ?? '',
      exchanges,
      callerToken: provider.tokens()?.access_token,
    };
  } catch (error) {
    throw new McpClientError((error as Error).message, exchanges);
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  }
}

/** One line per HTTP exchange, paths shortened against the MCP URL's origin. */
export function describeExchanges(outcome: Pick<McpClientOutcome, 'exchanges'>, mcpUrl: string): string[] {
  const origin = new URL(mcpUrl).origin;
  return outcome.exchanges.map((e) => {
    const url = e.url.startsWith(origin) ? e.url.slice(origin.length) || '/' : e.url;
    const details = [
      e.rpcMethods && e.rpcMethods.length > 0 ? e.rpcMethods.join(', ') : undefined,
      e.grantType ? `grant_type=${e.grantType}` : undefined,
      e.scope ? `scope=${e.scope}` : undefined,
      e.resource ? `resource=${e.resource}` : undefined,
      e.challenge ? `${e.challenge.header}: ${e.challenge.value}` : undefined,
    ].filter((d): d is string => d !== undefined);
    return `${e.method} ${url} → ${e.status}${details.length > 0 ? `  (${details.join('; ')})` : ''}`;
  });
}
