import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_AUTHORIZER_IDENTITY_SOURCES } from '../../infra/constructs/gatepass-http-routes.js';
import { acknowledgementsOf, repositoryRoot, synthGatepass, type SynthesizedGatepass } from './support/gatepass-synth.js';

/** The example configuration plus two MCP routes (one accepting an introspection issuer) and a route under /.well-known. */
const mcpConfigFile = join(repositoryRoot, 'test/infra/fixtures/mcp.gatepass.json');
const mcpConfig = JSON.parse(readFileSync(mcpConfigFile, 'utf8')) as {
  routes: { id: string; method: string; path: string; mcp?: unknown }[];
};
const mcpRoutes = mcpConfig.routes.filter((route) => route.mcp !== undefined);
const otherRoutes = mcpConfig.routes.filter((route) => route.mcp === undefined);
const metadataPath = (path: string) => `/.well-known/oauth-protected-resource${path}`;

type CfnResource = { Properties: Record<string, unknown> };

function violationsOf(gatepass: SynthesizedGatepass): unknown[] {
  const report = JSON.parse(readFileSync(join(gatepass.assembly.directory, 'validation-report.json'), 'utf8')) as {
    pluginReports: { violations: unknown[] }[];
  };
  return report.pluginReports.flatMap((r) => r.violations);
}

/** Where a rule is acknowledged in the app, by construct path (CDK files ids under "Annotation::"). */
function acknowledgedAt(gatepass: SynthesizedGatepass, ruleId: string): { path: string; reason: string }[] {
  return [...acknowledgementsOf(gatepass.app)].filter(([id]) => id.replace(/^[A-Za-z]+::/, '') === ruleId).flatMap(([, places]) => places);
}

/** The exchange function's one API-wide invoke permission: every route of the API, no wider, no narrower. */
function expectOneApiWidePermissionPerFunction(gatepass: SynthesizedGatepass, apiLogicalIdPrefix: string): void {
  const permissions = Object.values(gatepass.apiTemplate.findResources('AWS::Lambda::Permission')) as CfnResource[];
  expect(permissions).toHaveLength(2);
  const exchange = permissions.filter((p) => JSON.stringify(p.Properties['FunctionName']).includes('FunctionsExchange'));
  expect(exchange).toHaveLength(1);
  const sourceArn = JSON.stringify(exchange[0]!.Properties['SourceArn']);
  expect(sourceArn).toContain(`"Ref":"${apiLogicalIdPrefix}`);
  expect(sourceArn).toMatch(/\/\*\/\*\/\*"\]\]\}$/);
}

describe('gatepass app with MCP routes (HTTP API): no authorizer on MCP and metadata routes, issue #12 point 4', () => {
  let gatepass: SynthesizedGatepass;
  let routes: CfnResource[];
  const routeByKey = (key: string) => routes.find((route) => route.Properties['RouteKey'] === key);

  beforeAll(() => {
    gatepass = synthGatepass({ 'gatepass:config': mcpConfigFile });
    routes = Object.values(gatepass.apiTemplate.findResources('AWS::ApiGatewayV2::Route')) as CfnResource[];
  });
  afterAll(() => gatepass.dispose());

  it('passes the cdk-nag AWS Solutions checks on the whole app', () => {
    expect(violationsOf(gatepass)).toEqual([]);
  });

  it('creates one route per configured route plus a public GET metadata route per MCP route (RFC 9728 section 3.1)', () => {
    const expected = [
      ...mcpConfig.routes.map((r) => `${r.method} ${r.path}`),
      ...mcpRoutes.map((r) => `GET ${metadataPath(r.path)}`),
    ].sort();
    expect(routes.map((route) => route.Properties['RouteKey']).sort()).toEqual(expected);
    expect(expected).toContain('GET /.well-known/oauth-protected-resource/mcp');
    expect(expected).toContain('GET /.well-known/oauth-protected-resource/tools/mcp');
  });

  it('puts no authorizer on MCP routes and their metadata routes: explicitly NONE, so no API default authorizer applies either', () => {
    for (const key of [...mcpRoutes.map((r) => `${r.method} ${r.path}`), ...mcpRoutes.map((r) => `GET ${metadataPath(r.path)}`)]) {
      const route = routeByKey(key);
      expect(route, key).toBeDefined();
      expect(route!.Properties['AuthorizationType'], key).toBe('NONE');
      expect(route!.Properties['AuthorizerId'], key).toBeUndefined();
    }
  });

  it('keeps the authorizer, cached by token and route, on every other route', () => {
    for (const r of otherRoutes) {
      const route = routeByKey(`${r.method} ${r.path}`);
      expect(route!.Properties['AuthorizationType']).toBe('CUSTOM');
      expect(route!.Properties['AuthorizerId']).toEqual({ Ref: expect.stringMatching(/^HttpApiGatepassAuthorizer/) });
    }
    gatepass.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    gatepass.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: [...HTTP_AUTHORIZER_IDENTITY_SOURCES] });
  });

  it('integrates every route, MCP and metadata routes included, with the exchange function through the one integration', () => {
    gatepass.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    const [integrationId] = Object.keys(gatepass.apiTemplate.findResources('AWS::ApiGatewayV2::Integration'));
    for (const route of routes) expect(route.Properties['Target']).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] });
    gatepass.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionsExchange'), 'Arn'] },
    });
  });

  it('lets API Gateway invoke the exchange function for the new routes through the same API-wide permission, adding none', () => {
    expectOneApiWidePermissionPerFunction(gatepass, 'HttpApi');
  });

  it('acknowledges AwsSolutions-APIG4 on exactly the four unauthenticated routes, saying who validates or why it is public', () => {
    const places = acknowledgedAt(gatepass, 'AwsSolutions-APIG4');
    expect(places.map((p) => p.path).sort()).toEqual(
      ['McpMetadataRoute-legacy-tools', 'McpMetadataRoute-mcp', 'Route-legacy-tools', 'Route-mcp'].map((id) => `GatepassApi/HttpApi/${id}`),
    );
    for (const { path, reason } of places) {
      expect(reason, path).toMatch(path.includes('Metadata') ? /RFC 9728/ : /exchange function, validates the bearer token itself/);
    }
  });

  it('lets the exchange function read the introspection secret of the issuer an MCP route accepts, and no other', () => {
    const policy = Object.values(gatepass.apiTemplate.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('FunctionsExchangeRole'),
    )!;
    const statements = policy.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown; Resource: unknown }[];
    const mcpSecrets = statements.find((s) => s.Sid === 'ReadMcpIntrospectionSecrets');
    expect(mcpSecrets?.Action).toBe('secretsmanager:GetSecretValue');
    expect(JSON.stringify(mcpSecrets?.Resource)).toContain(':secret:gatepass/legacy-introspection-??????');
    expect(JSON.stringify(mcpSecrets?.Resource)).not.toContain('corp-exchange');
  });
});

describe('gatepass app with MCP routes (REST API): AuthorizationType NONE on MCP and metadata methods, issue #12 point 4', () => {
  let gatepass: SynthesizedGatepass;
  let methods: CfnResource[];
  let resources: Record<string, CfnResource>;

  /** The full path of a resource, from its PathPart and its parents'. */
  const pathOf = (logicalId: string): string => {
    const resource = resources[logicalId]!;
    const parent = resource.Properties['ParentId'] as { Ref?: string };
    const prefix = parent.Ref !== undefined && parent.Ref in resources ? pathOf(parent.Ref) : '';
    return `${prefix}/${resource.Properties['PathPart'] as string}`;
  };
  const methodsAt = (path: string) =>
    methods.filter((m) => {
      const ref = (m.Properties['ResourceId'] as { Ref?: string }).Ref;
      return ref !== undefined && ref in resources && pathOf(ref) === path;
    });

  beforeAll(() => {
    gatepass = synthGatepass({ 'gatepass:config': mcpConfigFile, 'gatepass:apiType': 'rest' });
    methods = Object.values(gatepass.apiTemplate.findResources('AWS::ApiGateway::Method')) as CfnResource[];
    resources = gatepass.apiTemplate.findResources('AWS::ApiGateway::Resource') as Record<string, CfnResource>;
  });
  afterAll(() => gatepass.dispose());

  it('passes the cdk-nag AWS Solutions checks on the whole app', () => {
    expect(violationsOf(gatepass)).toEqual([]);
  });

  it('builds the /.well-known/oauth-protected-resource/… tree beside the configured routes, sharing /.well-known with a configured route', () => {
    const paths = Object.keys(resources).map(pathOf).sort();
    expect(paths).toEqual(
      [
        '/.well-known',
        '/.well-known/oauth-protected-resource',
        '/.well-known/oauth-protected-resource/mcp',
        '/.well-known/oauth-protected-resource/tools',
        '/.well-known/oauth-protected-resource/tools/mcp',
        '/.well-known/openid-configuration',
        '/mcp',
        '/orders',
        '/orders/health',
        '/orders/{id}',
        '/reports',
        '/reports/{proxy+}',
        '/tools',
        '/tools/mcp',
      ].sort(),
    );
    expect(methods).toHaveLength(mcpConfig.routes.length + mcpRoutes.length);
  });

  it('leaves MCP methods and their GET metadata methods without an authorizer, proxied to the exchange function', () => {
    for (const [path, httpMethod] of [
      ['/mcp', 'ANY'],
      ['/tools/mcp', 'POST'],
      ['/.well-known/oauth-protected-resource/mcp', 'GET'],
      ['/.well-known/oauth-protected-resource/tools/mcp', 'GET'],
    ] as const) {
      const [method, ...others] = methodsAt(path);
      expect(others, path).toEqual([]);
      expect(method!.Properties['HttpMethod'], path).toBe(httpMethod);
      expect(method!.Properties['AuthorizationType'], path).toBe('NONE');
      expect(method!.Properties['AuthorizerId'], path).toBeUndefined();
      expect(method!.Properties['Integration'], path).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(JSON.stringify(method!.Properties['Integration']), path).toContain('FunctionsExchange');
    }
  });

  it('keeps the REQUEST authorizer, keyed by token, resource path and method, on every other method', () => {
    for (const path of ['/orders/{id}', '/orders/health', '/reports/{proxy+}', '/.well-known/openid-configuration']) {
      const [method] = methodsAt(path);
      expect(method!.Properties['AuthorizationType'], path).toBe('CUSTOM');
      expect(method!.Properties['AuthorizerId'], path).toEqual({ Ref: expect.stringMatching(/^RestApiAuthorizer/) });
    }
    gatepass.apiTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      IdentitySource: 'method.request.header.Authorization,context.resourcePath,context.httpMethod',
    });
  });

  it('lets API Gateway invoke the exchange function for the new methods through the same API-wide permission, adding none', () => {
    expectOneApiWidePermissionPerFunction(gatepass, 'RestApi');
  });

  it('acknowledges AwsSolutions-APIG4 and COG4 on exactly the unauthenticated methods with their reason, never API-wide', () => {
    const unauthenticated = ['/mcp/ANY', '/tools/mcp/POST', '/.well-known/oauth-protected-resource/mcp/GET', '/.well-known/oauth-protected-resource/tools/mcp/GET'];
    const apig4 = acknowledgedAt(gatepass, 'AwsSolutions-APIG4');
    expect(apig4.map((p) => p.path.replace('GatepassApi/RestApi/Api/Default', '')).sort()).toEqual([...unauthenticated].sort());
    const cog4 = acknowledgedAt(gatepass, 'AwsSolutions-COG4');
    // No acknowledgement on the API (or any ancestor of a method): each method carries its own.
    expect(cog4.map((p) => p.path)).not.toContain('GatepassApi/RestApi/Api');
    expect(cog4).toHaveLength(methods.length);
    for (const { path, reason } of cog4) {
      const route = path.replace('GatepassApi/RestApi/Api/Default', '');
      if (!unauthenticated.includes(route)) expect(reason, path).toMatch(/gatepass Lambda authorizer validates them/);
      else expect(reason, path).toMatch(route.startsWith('/.well-known') ? /RFC 9728/ : /exchange function, validates the bearer token itself/);
    }
  });
});
