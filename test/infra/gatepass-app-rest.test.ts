import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, problemFor } from '../../functions/shared/errors.js';
import { DENIED_TITLE } from '../../infra/gateway-problem-responses.js';
import { repositoryRoot, synthGatepass, type SynthesizedGatepass } from './support/gatepass-synth.js';

const exampleConfig = JSON.parse(readFileSync(join(repositoryRoot, 'infra/gatepass.config.example.json'), 'utf8')) as {
  routes: { id: string; method: string; path: string }[];
};

/** The REST variant with every optional feature on, context given as the CLI gives it (strings). */
const context = {
  'gatepass:apiType': 'rest',
  'gatepass:authorizerCacheTtlSeconds': '0',
  'gatepass:tracing': 'true',
  'gatepass:logRetentionDays': '90',
  'gatepass:throttleRateLimit': '50',
  'gatepass:throttleBurstLimit': '100',
  'gatepass:alarmEmail': 'oncall@example.com',
};

describe('gatepass app as a REST API with tracing, no authorizer cache and alarm e-mails', () => {
  let gatepass: SynthesizedGatepass;

  beforeAll(() => {
    gatepass = synthGatepass(context);
  });
  afterAll(() => gatepass.dispose());

  it('passes the cdk-nag AWS Solutions checks on the whole app (a finding would fail synth)', () => {
    const report = JSON.parse(readFileSync(join(gatepass.assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  it('creates a regional REST API and no HTTP API', () => {
    gatepass.apiTemplate.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    gatepass.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    gatepass.apiTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    // Binary-safe both ways: the exchange function answers binary bodies in base64.
    gatepass.apiTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
    gatepass.apiTemplate.hasOutput('ApiType', { Value: 'rest' });
    gatepass.apiTemplate.hasOutput('AccessLogGroupName', { Value: { Ref: Match.stringLikeRegexp('^RestApiAccessLogs') } });
  });

  it('uses a REQUEST authorizer keyed by token, resource path and method, with its cache off', () => {
    gatepass.apiTemplate.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    gatepass.apiTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization,context.resourcePath,context.httpMethod',
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it('creates exactly one method per configured route, each behind the authorizer, proxied to the exchange function', () => {
    const methods = Object.values(gatepass.apiTemplate.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(exampleConfig.routes.length);
    expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(exampleConfig.routes.map((r) => r.method).sort());
    for (const method of methods) {
      expect(method.Properties.AuthorizationType).toBe('CUSTOM');
      expect(method.Properties.AuthorizerId).toEqual({ Ref: expect.stringMatching(/^RestApiAuthorizer/) });
      expect(method.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
    }
    const pathParts = Object.values(gatepass.apiTemplate.findResources('AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart).sort();
    expect(pathParts).toEqual(['health', 'orders', 'reports', '{id}', '{proxy+}'].sort());
  });

  it('answers authorizer refusals with problem+json bodies from the error catalog', () => {
    const responses = gatepass.apiTemplate.findResources('AWS::ApiGateway::GatewayResponse');
    const byType = new Map(Object.values(responses).map((r) => [r.Properties.ResponseType as string, r.Properties]));
    const bodyOf = (type: string) => byType.get(type)!.ResponseTemplates['application/json'] as string;
    for (const type of byType.keys()) {
      expect(byType.get(type)!.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
    }

    expect(byType.get('UNAUTHORIZED')!.StatusCode).toBe('401');
    expect(JSON.parse(bodyOf('UNAUTHORIZED'))).toEqual(problemFor(ErrorCode.TokenInvalid));
    expect(byType.get('UNAUTHORIZED')!.ResponseParameters['gatewayresponse.header.WWW-Authenticate']).toBe("'Bearer'");

    expect(byType.get('ACCESS_DENIED')!.StatusCode).toBe('403');
    expect(JSON.parse(bodyOf('ACCESS_DENIED'))).toEqual({
      type: 'https://gatepass.dev/errors/$context.authorizer.code',
      title: DENIED_TITLE,
      status: 403,
      code: '$context.authorizer.code',
    });

    for (const type of ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR']) {
      expect(byType.get(type)!.StatusCode).toBe('500');
      expect(JSON.parse(bodyOf(type))).toEqual(problemFor(ErrorCode.GatewayMisconfigured));
    }
    expect(byType.get('MISSING_AUTHENTICATION_TOKEN')!.StatusCode).toBe('404');
    expect(JSON.parse(bodyOf('MISSING_AUTHENTICATION_TOKEN'))).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      expect(byType.get(type)!.StatusCode).toBeUndefined();
      expect(JSON.parse(bodyOf(type).replace('$context.error.messageString', '"Too Many Requests"'))).toEqual({
        type: 'about:blank',
        title: 'Too Many Requests',
      });
    }
    expect(byType.size).toBe(7);
  });

  it('logs access as JSON without the Authorization header, logs only errors, throttles and traces the stage', () => {
    gatepass.apiTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: {
        Format: Match.stringLikeRegexp('"resourcePath":"\\$context.resourcePath"'),
      },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ],
    });
    const stage = Object.values(gatepass.apiTemplate.findResources('AWS::ApiGateway::Stage'))[0]!;
    expect(JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn)).toMatch(/"RestApiAccessLogs[0-9A-F]+"/);
    expect(JSON.stringify(stage.Properties.AccessLogSetting).toLowerCase()).not.toContain('authorization');
  });

  it('creates the account role API Gateway needs to write REST API logs, retained', () => {
    gatepass.apiTemplate.resourceCountIs('AWS::ApiGateway::Account', 1);
    gatepass.apiTemplate.hasResource('AWS::IAM::Role', {
      Properties: Match.objectLike({
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
        }),
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('traces both functions with X-Ray and grants only the two X-Ray write actions for it', () => {
    gatepass.apiTemplate.resourcePropertiesCountIs('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } }, 2);
    for (const role of ['FunctionsAuthorizerRole', 'FunctionsExchangeRole']) {
      const policy = Object.values(gatepass.apiTemplate.findResources('AWS::IAM::Policy')).find((p) =>
        JSON.stringify(p.Properties.Roles).includes(role),
      )!;
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
        Effect: 'Allow',
        Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
        Resource: '*',
      });
    }
  });

  it('keeps function and access logs for the configured 90 days', () => {
    gatepass.apiTemplate.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 90 }, 3);
  });

  it('notifies an encrypted topic, subscribed by e-mail, when an alarm fires and when it clears', () => {
    gatepass.apiTemplate.resourceCountIs('AWS::SNS::Topic', 1);
    gatepass.apiTemplate.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    gatepass.apiTemplate.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    gatepass.apiTemplate.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
        ]),
      },
    });
    const [topicId] = Object.keys(gatepass.apiTemplate.findResources('AWS::SNS::Topic'));
    const alarms = Object.values(gatepass.apiTemplate.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(10);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });
});
