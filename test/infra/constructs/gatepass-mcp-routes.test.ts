import { App, Stack } from 'aws-cdk-lib';
import { AuthorizationType, RestApi, TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../../functions/shared/config/config-schema.js';
import { GatepassHttpRoutes } from '../../../infra/constructs/gatepass-http-routes.js';
import { GatepassRestRoutes } from '../../../infra/constructs/gatepass-rest-routes.js';

const route = (id: string, method: RouteConfig['method'], path: string, mcp?: RouteConfig['mcp']): RouteConfig => ({
  id,
  method,
  path,
  upstream: 'https://upstream.example',
  acceptedIssuers: ['corp'],
  requiredScopes: [],
  ...(mcp === undefined ? {} : { mcp }),
});

/** Two MCP routes (one per path, as the configuration allows) and an ordinary route. */
const routes = [
  route('mcp-post', 'POST', '/mcp', { resource: 'https://api.example.com/mcp' }),
  route('mcp-get', 'GET', '/tools/mcp', { resource: 'https://api.example.com/tools/mcp' }),
  route('orders', 'GET', '/orders'),
];

/** Stand-in functions: these tests look at the wiring only, not at bundles. */
function standIns(stack: Stack) {
  const fn = (id: string) => new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = 0') });
  return { authorizerFunction: fn('Authorizer'), exchangeFunction: fn('Exchange'), teamFunction: fn('TeamAuthorizer') };
}

describe('MCP routes on an API whose own default authorizer would otherwise apply', () => {
  it('HTTP: the MCP and metadata routes are explicitly NONE, the team default authorizer is not put on them', () => {
    const stack = new Stack(new App());
    const { authorizerFunction, exchangeFunction, teamFunction } = standIns(stack);
    const httpApi = new HttpApi(stack, 'TeamApi', { defaultAuthorizer: new HttpLambdaAuthorizer('Team', teamFunction) });
    const wiring = new GatepassHttpRoutes(stack, 'Gatepass', { httpApi, routes, authorizerFunction, exchangeFunction });
    const template = Template.fromStack(stack);
    const byKey = new Map(
      Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => [r.Properties.RouteKey as string, r.Properties as Record<string, unknown>]),
    );
    const unauthenticated = ['GET /.well-known/oauth-protected-resource/mcp', 'GET /.well-known/oauth-protected-resource/tools/mcp', 'GET /tools/mcp', 'POST /mcp'];
    expect([...byKey.keys()].sort()).toEqual([...unauthenticated, 'GET /orders'].sort());
    for (const key of unauthenticated) {
      expect(byKey.get(key)!['AuthorizationType'], key).toBe('NONE');
      expect(byKey.get(key)!['AuthorizerId'], key).toBeUndefined();
    }
    expect(byKey.get('GET /orders')!['AuthorizerId']).toEqual({ Ref: expect.stringMatching(/^TeamApiGatepassAuthorizer/) });
    expect(Object.keys(wiring.routes).sort()).toEqual(['mcp-get', 'mcp-post', 'orders']);
    expect(Object.keys(wiring.metadataRoutes)).toEqual(['mcp-post', 'mcp-get']);
  });

  it('REST: the MCP and metadata methods are AuthorizationType NONE, the team default authorizer is not put on them', () => {
    const stack = new Stack(new App());
    const { authorizerFunction, exchangeFunction, teamFunction } = standIns(stack);
    const restApi = new RestApi(stack, 'TeamApi', {
      defaultMethodOptions: { authorizer: new TokenAuthorizer(stack, 'Team', { handler: teamFunction }), authorizationType: AuthorizationType.CUSTOM },
    });
    // The team's own method, which takes the default authorizer (an unattached authorizer does not synthesize).
    restApi.root.addMethod('GET');
    const wiring = new GatepassRestRoutes(stack, 'Gatepass', { restApi, routes, authorizerFunction, exchangeFunction });
    const unauthenticated = [wiring.methods['mcp-post']!, wiring.methods['mcp-get']!, wiring.metadataMethods['mcp-post']!, wiring.metadataMethods['mcp-get']!];
    const template = Template.fromStack(stack);
    for (const method of unauthenticated) {
      const properties = template.toJSON()['Resources'][stack.getLogicalId(method.node.defaultChild as never)]['Properties'] as Record<string, unknown>;
      expect(properties['AuthorizationType'], method.resource.path).toBe('NONE');
      expect(properties['AuthorizerId'], method.resource.path).toBeUndefined();
    }
    const orders = template.toJSON()['Resources'][stack.getLogicalId(wiring.methods['orders']!.node.defaultChild as never)]['Properties'];
    expect(orders['AuthorizerId']).toEqual({ Ref: expect.stringMatching(/^GatepassAuthorizer/) });
    expect(Object.keys(wiring.metadataMethods)).toEqual(['mcp-post', 'mcp-get']);
    // The default does apply where nothing says otherwise: the team's own method.
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: Match.stringLikeRegexp('^Team') } });
  });
});
