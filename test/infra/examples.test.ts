import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeamHttpApiStack } from '../../examples/existing-http-api/team-http-api-stack.js';
import { TeamRestApiStack } from '../../examples/existing-rest-api/team-rest-api-stack.js';
import { repositoryRoot } from './support/gatepass-synth.js';

const configFile = join(repositoryRoot, 'examples/orders.gatepass.json');
/** The example configuration with two MCP routes (issue #12 point 4). */
const mcpConfigFile = join(repositoryRoot, 'test/infra/fixtures/mcp.gatepass.json');
const mcpRouteKeys = ['ANY /mcp', 'POST /tools/mcp', 'GET /.well-known/oauth-protected-resource/mcp', 'GET /.well-known/oauth-protected-resource/tools/mcp'];
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Synthesize as the example's app.ts does, cdk-nag included: a finding makes synth throw. */
function synthesize<T extends Stack>(build: (app: App) => T): { stack: T; template: Template } {
  const outdir = mkdtempSync(join(tmpdir(), 'gatepass-example-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { stack, template: Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>) };
}

describe('examples/existing-http-api: gatepass on an HTTP API the team already has (issue #13 point 1)', () => {
  let template: Template;
  beforeAll(() => ({ template } = synthesize((app) => new TeamHttpApiStack(app, 'TeamHttpApi', { configFile }))));

  it('synthesizes cdk-nag clean, adding its routes to the one API and its one stage', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    for (const routeKey of ['GET /orders/{id}', 'POST /orders']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'CUSTOM', AuthorizerId: Match.anyValue() });
    }
  });

  it('leaves the route it does not own untouched: no authorizer, its own integration', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: 'GET /health' } });
    expect(Object.keys(routes)).toHaveLength(1);
    const health = Object.values(routes)[0] as { Properties: Record<string, unknown> };
    expect(health.Properties['AuthorizerId']).toBeUndefined();
    expect(health.Properties['AuthorizationType'] ?? 'NONE').toBe('NONE');
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'HTTP_PROXY',
      IntegrationUri: 'https://status.team.example/health',
    });
  });

  it('attaches to an HTTP API imported by id, creating no API and no stage', () => {
    const imported = synthesize((app) => new TeamHttpApiStack(app, 'TeamHttpApiImported', { configFile, importHttpApiId: 'a1b2c3d4e5' })).template;
    imported.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    imported.resourceCountIs('AWS::ApiGatewayV2::Stage', 0);
    imported.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
    imported.allResourcesProperties('AWS::ApiGatewayV2::Route', { ApiId: 'a1b2c3d4e5', AuthorizationType: 'CUSTOM' });
  });
});

describe('examples/existing-rest-api: gatepass on a REST API the team already has (issue #13 point 1)', () => {
  let template: Template;
  beforeAll(() => ({ template } = synthesize((app) => new TeamRestApiStack(app, 'TeamRestApi', { configFile }))));

  it('synthesizes cdk-nag clean, adding its methods to the one API', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    for (const method of ['GET', 'POST']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: method, AuthorizationType: 'CUSTOM', Integration: Match.objectLike({ Type: 'AWS_PROXY' }) });
    }
  });

  it('leaves the resource it does not own untouched, and changes no API-wide gateway response', () => {
    const health = template.findResources('AWS::ApiGateway::Method', { Properties: { Integration: { Type: 'MOCK' } } });
    expect(Object.values(health)).toHaveLength(1);
    const properties = (Object.values(health)[0] as { Properties: Record<string, unknown> }).Properties;
    expect(properties['AuthorizationType']).toBe('NONE');
    expect(properties['AuthorizerId']).toBeUndefined();
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 0);
  });

  it('attaches to a REST API imported by id, and deploys it to the named stage', () => {
    const importRestApi = { restApiId: 'abc123def4', rootResourceId: 'root123456', stageName: 'prod' };
    const imported = synthesize((app) => new TeamRestApiStack(app, 'TeamRestApiImported', { configFile, importRestApi })).template;
    imported.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    imported.allResourcesProperties('AWS::ApiGateway::Method', { RestApiId: 'abc123def4', AuthorizationType: 'CUSTOM' });
    imported.hasResourceProperties('AWS::ApiGateway::Resource', { ParentId: 'root123456', PathPart: 'orders' });
    imported.hasResourceProperties('AWS::ApiGateway::Deployment', { RestApiId: 'abc123def4', StageName: 'prod' });
  });
});

describe('the examples with MCP routes: public metadata and MCP routes reach the exchange function without an authorizer (issue #12 point 4)', () => {
  it('examples/existing-http-api: MCP and metadata routes with no authorizer, on the gatepass integration, cdk-nag clean', () => {
    const { stack, template } = synthesize((app) => new TeamHttpApiStack(app, 'TeamHttpApiMcp', { configFile: mcpConfigFile }));
    const [integrationId] = Object.keys(template.findResources('AWS::ApiGatewayV2::Integration', { Properties: { IntegrationType: 'AWS_PROXY' } }));
    for (const routeKey of mcpRouteKeys) {
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } })) as { Properties: Record<string, unknown> }[];
      expect(routes, routeKey).toHaveLength(1);
      expect(routes[0]!.Properties['AuthorizationType'], routeKey).toBe('NONE');
      expect(routes[0]!.Properties['AuthorizerId'], routeKey).toBeUndefined();
      expect(routes[0]!.Properties['Target'], routeKey).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] });
    }
    expect(Object.keys(stack.gatepass.metadataRoutes).sort()).toEqual(['legacy-tools', 'mcp']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /orders/{id}', AuthorizationType: 'CUSTOM', AuthorizerId: Match.anyValue() });
  });

  it('examples/existing-rest-api: MCP and metadata methods with AuthorizationType NONE, proxied to the exchange function, cdk-nag clean', () => {
    const { stack, template } = synthesize((app) => new TeamRestApiStack(app, 'TeamRestApiMcp', { configFile: mcpConfigFile }));
    const unauthenticated = [...Object.values(stack.gatepass.metadataMethods), stack.gatepass.methods['mcp']!, stack.gatepass.methods['legacy-tools']!];
    expect(unauthenticated.map((method) => `${method.httpMethod} ${method.resource.path}`).sort()).toEqual(
      ['ANY /mcp', 'POST /tools/mcp', 'GET /.well-known/oauth-protected-resource/mcp', 'GET /.well-known/oauth-protected-resource/tools/mcp'].sort(),
    );
    const gatepassMethods = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { Integration: { Type: 'AWS_PROXY' } } })) as {
      Properties: Record<string, unknown>;
    }[];
    expect(gatepassMethods.filter((m) => m.Properties['AuthorizationType'] === 'NONE')).toHaveLength(4);
    for (const method of gatepassMethods.filter((m) => m.Properties['AuthorizationType'] === 'NONE')) {
      expect(method.Properties['AuthorizerId']).toBeUndefined();
      expect(JSON.stringify(method.Properties['Integration'])).toContain('GatepassFunctionsExchange');
    }
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '.well-known' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'oauth-protected-resource' });
  });
});
