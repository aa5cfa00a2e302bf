import { describe, expect, it } from 'vitest';
import { RouteMatcher } from '../../../../functions/shared/route-matcher.js';
import { restPathIssues } from '../../../../infra/rest-api-paths.js';
import { demoConfig, DemoRoute, type DemoEndpoints } from '../../../../scripts/local/demo-config.js';
import { walkthroughSteps } from '../../../../scripts/local/walkthrough.js';

const endpoints: DemoEndpoints = {
  partner: { issuer: 'http://127.0.0.1:1001', jwksUri: 'http://127.0.0.1:1001/jwks' },
  corp: { issuer: 'http://127.0.0.1:1002', jwksUri: 'http://127.0.0.1:1002/jwks', tokenEndpoint: 'http://127.0.0.1:1003/token' },
  legacy: { issuer: 'http://127.0.0.1:1004', introspectionEndpoint: 'http://127.0.0.1:1004/introspect' },
  upstream: 'http://127.0.0.1:1005',
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

  it('has a route for every walkthrough request', () => {
    const matcher = new RouteMatcher(demoConfig(endpoints));
    for (const step of walkthroughSteps('http')) {
      expect(matcher.byPath(step.request.method, step.request.path), `${step.request.method} ${step.request.path}`).toBeDefined();
    }
  });

  it('reaches the corporate token endpoint through the configured URL (the fault relay), not the issuer', () => {
    expect(demoConfig(endpoints).authorizationServers['corp']).toMatchObject({ issuer: endpoints.corp.issuer, tokenEndpoint: endpoints.corp.tokenEndpoint });
  });
});
