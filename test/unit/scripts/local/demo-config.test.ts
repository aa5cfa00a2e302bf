import { describe, expect, it } from 'vitest';
import { AuthorizerAction } from '../../../../functions/shared/contracts/authorizer-context.js';
import { classify, tokenFactsOf } from '../../../../functions/shared/token-validation/route-policy.js';
import { restPathIssues } from '../../../../infra/rest-api-paths.js';
import { DEMO, demoConfig, DemoRoute, type DemoEndpoints } from '../../../../scripts/local/demo-config.js';
import { ApiRoutes } from '../../../../scripts/local/gateway-events.js';
import { walkthroughSteps } from '../../../../scripts/local/walkthrough.js';

const endpoints: DemoEndpoints = {
  partner: { issuer: 'http://127.0.0.1:1001', jwksUri: 'http://127.0.0.1:1001/jwks' },
  corp: { issuer: 'http://127.0.0.1:1002', jwksUri: 'http://127.0.0.1:1002/jwks', tokenEndpoint: 'http://127.0.0.1:1003/token' },
  legacy: { issuer: 'http://127.0.0.1:1004', introspectionEndpoint: 'http://127.0.0.1:1004/introspect' },
  entra: { issuer: 'http://127.0.0.1:1006/tenant/v2.0', jwksUri: 'http://127.0.0.1:1006/tenant/discovery/v2.0/keys', tokenEndpoint: 'http://127.0.0.1:1006/tenant/oauth2/v2.0/token' },
  upstream: 'http://127.0.0.1:1005',
  gateway: 'http://127.0.0.1:4280',
  mcpUpstream: 'http://127.0.0.1:1007',
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

  it('redeems Entra tokens On-Behalf-Of: jwt-bearer with requested_token_use, client_secret_post, the tenant keys to verify what it issues', () => {
    expect(demoConfig(endpoints).authorizationServers['entra']).toEqual({
      issuer: endpoints.entra.issuer,
      tokenEndpoint: endpoints.entra.tokenEndpoint,
      grant: 'jwt-bearer',
      parameters: { requested_token_use: 'on_behalf_of' },
      clientAuth: 'client_secret_post',
      clientSecretId: DEMO.secrets.entraObo,
      jwksUri: endpoints.entra.jwksUri,
    });
  });

  it("exchanges every same-tenant caller token for gatepass's app on the Entra routes (delegation), never passes it on", () => {
    const config = demoConfig(endpoints);
    const callerToken = tokenFactsOf('entra', { aud: DEMO.entra.gatewayAppId, scp: DEMO.entra.callerScope, oid: DEMO.entra.user.oid });
    for (const id of [DemoRoute.EntraOrders, DemoRoute.EntraOrdersAudit]) {
      const route = config.routes.find((r) => r.id === id)!;
      expect(route.exchange).toMatchObject({ authorizationServer: 'entra', flow: 'delegation' });
      expect(route.exchange!.scope.every((s) => s.startsWith(`${DEMO.entra.ordersAppIdUri}/`))).toBe(true);
      expect(classify(config, route, callerToken), id).toBe(AuthorizerAction.Exchange);
    }
  });
});
