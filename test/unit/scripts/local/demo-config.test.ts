import { describe, expect, it } from 'vitest';
import { restPathIssues } from '../../../../infra/rest-api-paths.js';
import { demoConfig, DemoRoute, type DemoEndpoints } from '../../../../scripts/local/demo-config.js';
import { ApiRoutes } from '../../../../scripts/local/gateway-events.js';
import { walkthroughSteps } from '../../../../scripts/local/walkthrough.js';

const endpoints: DemoEndpoints = {
  partner: { issuer: 'http://127.0.0.1:1001', jwksUri: 'http://127.0.0.1:1001/jwks' },
  corp: { issuer: 'http://127.0.0.1:1002', jwksUri: 'http://127.0.0.1:1002/jwks', tokenEndpoint: 'http://127.0.0.1:1003/token' },
  legacy: { issuer: 'http://127.0.0.1:1004', introspectionEndpoint: 'http://127.0.0.1:1004/introspect' },
  upstream: 'http://127.0.0.1:1005',
  gateway: 'http://127.0.0.1:4280',
  mcpUpstream: 'http://127.0.0.1:1006',
};

describe('the demo configuration', () => {
  it('passes the shared schema with loopback URLs', () => {
    const config = demoConfig(endpoints);
    expect(config.insecureLoopbackHttp).toBe(true);
    expect(config.routes.map((r) => r.id)).toEqual(Object.values(DemoRoute));
  });

  it('deploys as a REST API too: no two variable parts on one level', () => {
    expect(restPathIssues(demoConfig(endpoints).routes)).toEqual([]);
  });

  it('has an API route for every walkthrough request, the MCP metadata included', () => {
    const routes = new ApiRoutes(demoConfig(endpoints));
    for (const step of walkthroughSteps('http')) {
      const [method, path] = step.kind === 'mcp-client' ? ['POST', step.path] : [step.request.method, step.request.path];
      expect(routes.select(method, path), `${method} ${path}`).toBeDefined();
    }
  });

  it("protects the MCP server at /mcp with the gateway's own URL as the resource, and exchanges its tokens at the corporate AS", () => {
    const mcp = demoConfig(endpoints).routes.find((r) => r.id === DemoRoute.Mcp);
    expect(mcp).toMatchObject({
      path: '/mcp',
      upstream: endpoints.mcpUpstream,
      acceptedIssuers: ['corp'],
      mcp: { resource: 'http://127.0.0.1:4280/mcp', scopesSupported: ['mcp:tools'] },
      exchange: { authorizationServer: 'corp', audience: ['mcp-tools-server'] },
    });
  });

  it('reaches the corporate token endpoint through the configured URL (the fault relay), not the issuer', () => {
    expect(demoConfig(endpoints).authorizationServers['corp']).toMatchObject({ issuer: endpoints.corp.issuer, tokenEndpoint: endpoints.corp.tokenEndpoint });
  });
});
