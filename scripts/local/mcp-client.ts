/**
 * `npm run -s mcp-client -- <MCP URL>`: the official MCP SDK client (demo-mcp-client.ts)
 * against an MCP route of the running local stack, e.g. `http://127.0.0.1:4280/mcp`, with the
 * demo MCP client's credentials at the corporate AS. Prints each HTTP exchange the client made
 * (discovery, token request, MCP calls; never a token or a secret), the tools it listed and
 * the result of the tool it called. Exit 0 when it listed and called; 1 when it could not.
 */
import { parseCommandLine } from '../command-line.js';
import { requestMcpClientCredentials } from './control-client.js';
import { describeExchanges, McpClientError, runMcpClient } from './demo-mcp-client.js';
import { LocalStateError } from './local-state.js';

const USAGE = `usage: npm run mcp-client -- [--tool <name>] <MCP URL>      (npm run -s: the output alone)
  runs @modelcontextprotocol/sdk's Client (StreamableHTTPClientTransport, ClientCredentialsProvider) against
  an MCP route of the running npm start, e.g. http://127.0.0.1:4280/mcp, as the demo MCP client of the
  corporate AS: it discovers how to authorize, gets a token for the route's resource, lists the tools and
  calls one (default whoami: the claims of the token the MCP server received)`;

const { positionals, values } = parseCommandLine(
  USAGE,
  { options: { tool: { type: 'string', default: 'whoami' } }, allowPositionals: true },
  ({ positionals }) => {
    if (positionals.length !== 1) return `expected one MCP URL, got ${positionals.length}`;
    return URL.canParse(positionals[0]!) ? undefined : `not a URL: ${positionals[0]}`;
  },
);
const url = positionals[0]!;

async function main(): Promise<number> {
  const credentials = await requestMcpClientCredentials();
  const outcome = await runMcpClient({ url, ...credentials, tool: values.tool });
  console.log(`MCP client (${credentials.clientId} at ${credentials.issuer}) → ${url}`);
  for (const line of describeExchanges(outcome, url)) console.log(`  ${line}`);
  console.log(`tools listed: ${outcome.tools.join(', ')}`);
  console.log(`${outcome.tool} → ${outcome.toolText}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof McpClientError) for (const line of describeExchanges(error, url)) console.error(`  ${line}`);
    console.error(error instanceof LocalStateError ? error.message : `the MCP client failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
