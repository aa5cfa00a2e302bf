import { App, Stack } from 'aws-cdk-lib';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import type { GatepassConfig } from '../../functions/shared/config/config-schema.js';
import { ConfigError, parseConfig, validateConfig } from '../../functions/shared/config/config-validator.js';
import { GatepassHttpApi } from '../../infra/constructs/gatepass-http-api.js';
import { GatepassHttpRoutes } from '../../infra/constructs/gatepass-http-routes.js';
import { GatepassRestRoutes } from '../../infra/constructs/gatepass-rest-routes.js';

/**
 * Browser preflights (issue #13 point 4). What each API type does with them is AWS's:
 * REST https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html (an OPTIONS
 * method with a MOCK integration), HTTP https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
 * (the API's CORS configuration answers preflights itself). These tests check the templates;
 * that API Gateway then answers as documented cannot be confirmed without an account.
 */
const cors = { allowOrigins: ['https://app.example.com'] };
const route = (id: string, method: string, path: string, extra: Record<string, unknown> = {}) => ({
  id,
  method,
  path,
  upstream: 'https://orders.internal.example',
  acceptedIssuers: ['corp'],
  ...extra,
});
const config = (routes: Record<string, unknown>[]): GatepassConfig =>
  parseConfig({ version: 1, issuers: { corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks' } }, routes });

function functions(stack: Stack) {
  return {
    authorizerFunction: LambdaFunction.fromFunctionArn(stack, 'Authorizer', 'arn:aws:lambda:eu-west-1:123456789012:function:authorizer'),
    exchangeFunction: LambdaFunction.fromFunctionArn(stack, 'Exchange', 'arn:aws:lambda:eu-west-1:123456789012:function:exchange'),
  };
}

function restTemplate(routes: Record<string, unknown>[]): Template {
  const stack = new Stack(new App(), 'Rest');
  const restApi = new RestApi(stack, 'Api');
  new GatepassRestRoutes(stack, 'Gatepass', { restApi, routes: config(routes).routes, ...functions(stack) });
  return Template.fromStack(stack);
}

function httpTemplate(routes: Record<string, unknown>[]): Template {
  const stack = new Stack(new App(), 'Http');
  new GatepassHttpApi(stack, 'Gatepass', { routes: config(routes).routes, ...functions(stack) });
  return Template.fromStack(stack);
}

describe('the cors block of a route', () => {
  it('fills its defaults and has no way to allow credentials', () => {
    const parsed = config([route('r', 'GET', '/orders/{id}', { cors })]);
    expect(parsed.routes[0]!.cors).toEqual({ allowOrigins: ['https://app.example.com'], allowHeaders: ['authorization', 'content-type'], exposeHeaders: [], maxAgeSeconds: 600 });
    const refused = validateConfig({ ...parsed, routes: [route('r', 'GET', '/o', { cors: { ...cors, allowCredentials: true } })] });
    expect(refused.ok ? [] : refused.issues).toEqual([{ path: 'routes[0].cors.allowCredentials', message: 'unknown field' }]);
  });

  it('takes https origins only, and "*" alone', () => {
    const issues = (allowOrigins: string[]) => {
      const result = validateConfig({ ...config([route('r', 'GET', '/o')]), routes: [route('r', 'GET', '/o', { cors: { allowOrigins } })] });
      return result.ok ? [] : result.issues.map((i) => i.message);
    };
    expect(issues(['http://app.example.com'])).toEqual(['must be an https origin such as https://app.example.com, or *']);
    expect(issues(['https://app.example.com/path'])).toEqual(['must be an https origin such as https://app.example.com, or *']);
    expect(issues(['*', 'https://app.example.com'])).toEqual(['"*" stands alone: it cannot be mixed with named origins']);
    expect(issues(['*'])).toEqual([]);
  });
});

describe('REST API preflights', () => {
  const template = restTemplate([route('read', 'GET', '/orders/{id}', { cors }), route('update', 'PUT', '/orders/{id}', { cors }), route('plain', 'GET', '/reports')]);

  it('are answered by API Gateway (MOCK), without a token, never with credentials', () => {
    const options = template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } });
    expect(Object.keys(options)).toHaveLength(1);
    const properties = (Object.values(options)[0] as { Properties: Record<string, unknown> }).Properties;
    expect(properties['AuthorizationType']).toBe('NONE');
    const integration = properties['Integration'] as { Type: string; IntegrationResponses: { ResponseParameters: Record<string, string> }[] };
    expect(integration.Type).toBe('MOCK');
    const headers = integration.IntegrationResponses[0]!.ResponseParameters;
    expect(headers).toMatchObject({
      'method.response.header.Access-Control-Allow-Origin': "'https://app.example.com'",
      'method.response.header.Access-Control-Allow-Methods': "'GET,PUT'",
      'method.response.header.Access-Control-Allow-Headers': "'authorization,content-type'",
      'method.response.header.Access-Control-Max-Age': "'600'",
    });
    expect(Object.keys(headers).some((h) => /Credentials/i.test(h))).toBe(false);
  });

  it('leave the actual requests behind the authorizer, and add no preflight to a route without cors', () => {
    for (const method of ['GET', 'PUT']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: method, AuthorizationType: 'CUSTOM', Integration: Match.objectLike({ Type: 'AWS_PROXY' }) });
    }
    template.resourceCountIs('AWS::ApiGateway::Method', 4);
  });

  it('refuse two routes on one path with different blocks', () => {
    expect(() => restTemplate([route('a', 'GET', '/o', { cors }), route('b', 'PUT', '/o', { cors: { allowOrigins: ['https://other.example.com'] } })])).toThrow(ConfigError);
  });
});

describe('HTTP API preflights', () => {
  it('are the API\'s CORS configuration, without credentials; routes keep their authorizer and no OPTIONS route is added', () => {
    const template = httpTemplate([route('read', 'GET', '/orders/{id}', { cors }), route('create', 'POST', '/orders', { cors })]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com'],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['authorization', 'content-type'],
        AllowCredentials: false,
        MaxAge: 600,
      },
    });
    template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'CUSTOM' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
  });

  it('refuse an ANY route with a cors block, and different blocks on one API, naming the fields', () => {
    try {
      httpTemplate([route('any', 'ANY', '/a/{proxy+}', { cors }), route('b', 'GET', '/b', { cors: { allowOrigins: ['https://other.example.com'] } })]);
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['routes[0].cors', 'routes[1].cors']);
    }
  });

  it('leave an API without cors blocks without a CORS configuration', () => {
    const template = httpTemplate([route('read', 'GET', '/orders/{id}')]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });

  it('on an HTTP API of the team\'s, leave its CORS configuration to the team, with a synth warning saying how', () => {
    const stack = new Stack(new App(), 'Team');
    const httpApi = HttpApi.fromHttpApiAttributes(stack, 'Api', { httpApiId: 'a1b2c3d4e5' });
    new GatepassHttpRoutes(stack, 'Gatepass', { httpApi, routes: config([route('read', 'GET', '/orders/{id}', { cors })]).routes, ...functions(stack) });
    Annotations.fromStack(stack).hasWarning('/Team/Gatepass', Match.stringLikeRegexp('pass `corsPreflight: httpCorsPreflight\\(routes\\)`'));
    Template.fromStack(stack).resourceCountIs('AWS::ApiGatewayV2::Api', 0);
  });
});
