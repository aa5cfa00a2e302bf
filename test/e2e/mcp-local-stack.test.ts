import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, demoMcpResource } from '../../scripts/local/demo-config.js';
import { runMcpClient, type McpClientOutcome } from '../../scripts/local/demo-mcp-client.js';
import type { ApiFlavour } from '../../scripts/local/gateway-events.js';
import { startTestStack, type TestStack } from '../support/local-stack-harness.js';

/**
 * The demo's MCP route end to end, on both API types, with the official SDK on both sides:
 * `Client` + `StreamableHTTPClientTransport` + `ClientCredentialsProvider` (scripts/local/
 * demo-mcp-client.ts) → local API Gateway → exchange function → an McpServer over
 * StreamableHTTPServerTransport (fakes/mcp-server.ts). The client is given nothing but the URL
 * and its credentials: it must discover the metadata, get a token with the resource indicator
 * (RFC 8707) at the corporate AS, and list and call tools.
 *
 * What differs by API type is how discovery starts. HTTP API: the 401's `WWW-Authenticate`
 * names the metadata URL. REST API: the gateway renames that header to
 * `x-amzn-Remapped-WWW-Authenticate` (scripts/local/gateway-answers.ts cites the reports), so
 * the client finds the metadata by probing `/.well-known/oauth-protected-resource/mcp`
 * (MCP authorization spec 2025-06-18, "Authorization Server Location", and the SDK's
 * discoverOAuthProtectedResourceMetadata).
 */

const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp';
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl-like', version: '0' } },
});

describe.each<ApiFlavour>(['http', 'rest'])('MCP through the local stack (%s API)', (flavour) => {
  const challengeHeader = flavour === 'rest' ? 'x-amzn-remapped-www-authenticate' : 'www-authenticate';
  let stack: TestStack;
  let outcome: McpClientOutcome;
  let upstreamBefore: number;

  beforeAll(async () => {
    stack = await startTestStack({ flavour });
    upstreamBefore = stack.mcp.requests.length;
    outcome = await runMcpClient({ url: `${stack.urls.gateway}/mcp`, ...stack.mcpClient });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const gatewayExchanges = () => outcome.exchanges.filter((e) => e.url.startsWith(stack.urls.gateway));

  it(
    flavour === 'http'
      ? 'discovers the metadata from the 401 challenge'
      : 'discovers the metadata by the well-known probe, the challenge header being renamed',
    () => {
      const [first, second] = gatewayExchanges();
      expect(first).toMatchObject({ method: 'POST', url: `${stack.urls.gateway}/mcp`, status: 401, rpcMethods: ['initialize'] });
      expect(first!.challenge?.header).toBe(challengeHeader);
      expect(first!.challenge?.value).toContain(`resource_metadata="${stack.urls.gateway}${METADATA_PATH}"`);
      // HTTP: the URL the challenge named; REST: the path-aware well-known URL the client probes first. The same URL either way.
      expect(second).toMatchObject({ method: 'GET', url: `${stack.urls.gateway}${METADATA_PATH}`, status: 200 });
    },
  );

  it("gets its token at the corporate AS with the metadata's resource, client_credentials", () => {
    const tokenRequest = outcome.exchanges.find((e) => e.grantType !== undefined);
    expect(tokenRequest).toMatchObject({ method: 'POST', url: `${stack.urls.corp}/token`, status: 200, grantType: 'client_credentials', resource: demoMcpResource(stack.urls.gateway) });
  });

  it('lists the tools and calls one through gatepass, the session header passing both ways', () => {
    expect(outcome.tools).toEqual(expect.arrayContaining(['whoami', 'server_time']));
    const calls = stack.mcp.requests.slice(upstreamBefore).filter((r) => r.rpcMethods.includes('tools/list') || r.rpcMethods.includes('tools/call'));
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(call.protocolVersion).toBeTruthy();
    }
    expect(gatewayExchanges().find((e) => e.rpcMethods?.includes('tools/call'))?.status).toBe(200);
  });

  it("forwards an exchanged token to the MCP server, never the client's", () => {
    const received = stack.mcp.requests.slice(upstreamBefore);
    expect(received.length).toBeGreaterThan(0);
    expect(outcome.callerToken).toBeDefined();
    for (const request of received) {
      expect(request.bearerToken).not.toBe(outcome.callerToken);
      expect(request.claims).toMatchObject({ iss: stack.urls.corp, aud: DEMO.mcpUpstreamAudience, sub: DEMO.mcpClientId });
    }
    expect(JSON.parse(outcome.toolText)).toMatchObject({ iss: stack.urls.corp, aud: DEMO.mcpUpstreamAudience, sub: DEMO.mcpClientId, scope: 'mcp:tools' });
  });

  it('serves the metadata document without a token', async () => {
    const answer = await stack.call(METADATA_PATH);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({
      resource: demoMcpResource(stack.urls.gateway),
      authorization_servers: [stack.urls.corp],
      scopes_supported: ['mcp:tools'],
      bearer_methods_supported: ['header'],
    });
  });

  it('refuses a token issued for another resource with 401 invalid_token, without calling the MCP server', async () => {
    const ordersToken = await stack.token('--issuer', 'corp', '--scope', 'orders:read');
    const before = stack.mcp.requests.length;
    const answer = await stack.call('/mcp', {
      token: ordersToken,
      method: 'POST',
      body: INITIALIZE,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get(challengeHeader)).toMatch(/^Bearer /);
    expect(answer.headers.get(challengeHeader)).toContain('error="invalid_token"');
    expect(answer.headers.get(challengeHeader)).toContain(`resource_metadata="${stack.urls.gateway}${METADATA_PATH}"`);
    expect(stack.mcp.requests.length).toBe(before);
  });

  it('answers 401 with the challenge to a request without a token, the authorizer not involved', async () => {
    const invocations = stack.functions.authorizer.invocations;
    const answer = await stack.call('/mcp');
    expect(answer.status).toBe(401);
    expect(answer.headers.get(challengeHeader)).toContain('resource_metadata=');
    expect(answer.headers.get(flavour === 'rest' ? 'www-authenticate' : 'x-amzn-remapped-www-authenticate')).toBeNull();
    expect(stack.functions.authorizer.invocations).toBe(invocations);
  });
});
