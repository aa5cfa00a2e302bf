import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FILE_NAME, BUNDLED_CONFIG_FILE_NAME, esbuildOptionsFor } from '../../infra/bundling-options.js';
import { DEFAULT_HANDLER_ENTRIES } from '../../infra/constructs/gatepass-functions.js';
import { HTTP_AUTHORIZER_IDENTITY_SOURCES } from '../../infra/constructs/gatepass-http-routes.js';
import { repositoryRoot, synthGatepass, type SynthesizedGatepass } from './support/gatepass-synth.js';

const exampleConfigFile = join(repositoryRoot, 'infra/gatepass.config.example.json');
const exampleConfig = JSON.parse(readFileSync(exampleConfigFile, 'utf8')) as {
  routes: { id: string; method: string; path: string }[];
};

const secretArn = (name: string) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:secret:${name}-??????`],
  ],
});

const logsStatement = (logGroupPrefix: string) => ({
  Sid: 'WriteOwnLogs',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${logGroupPrefix}`)), 'Arn'] },
});

/** Statements of the one policy attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(gatepass: SynthesizedGatepass, rolePrefix: string): unknown[] {
  const policies = Object.values(gatepass.apiTemplate.findResources('AWS::IAM::Policy')).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(rolePrefix),
  );
  expect(policies).toHaveLength(1);
  return policies[0]!.Properties.PolicyDocument.Statement as unknown[];
}

describe('gatepass app with the default context (HTTP API)', () => {
  let gatepass: SynthesizedGatepass;

  beforeAll(() => {
    gatepass = synthGatepass();
  });
  afterAll(() => gatepass.dispose());

  describe('synthesis', () => {
    it('passes the cdk-nag AWS Solutions checks on the whole app (a finding would fail synth)', () => {
      const report = JSON.parse(readFileSync(join(gatepass.assembly.directory, 'validation-report.json'), 'utf8')) as {
        pluginReports: { violations: unknown[] }[];
      };
      expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
    });

    it('builds environment-agnostic stacks, the API stack after the state stack', () => {
      for (const stack of [gatepass.state, gatepass.api]) {
        expect(stack.environment).toBe('aws://unknown-account/unknown-region');
      }
      expect(gatepass.api.dependencies).toContain(gatepass.state);
    });
  });

  describe('functions', () => {
    it('runs both functions on ARM64 with the newest Node.js runtime and the index.handler export', () => {
      gatepass.apiTemplate.resourceCountIs('AWS::Lambda::Function', 2);
      for (const prefix of ['FunctionsAuthorizer', 'FunctionsExchange']) {
        gatepass.apiTemplate.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: Match.absent(),
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          Role: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}Role`), 'Arn'] },
          LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp(`^${prefix}Logs`) } },
          TracingConfig: Match.absent(),
        });
      }
    });

    it('tells the authorizer where its configuration is and how to log and emit metrics', () => {
      gatepass.apiTemplate.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionsAuthorizerRole'), 'Arn'] },
        Environment: {
          Variables: Match.objectEquals({
            GATEPASS_CONFIG_FILE: 'gatepass.config.json',
            POWERTOOLS_SERVICE_NAME: 'gatepass-authorizer',
            POWERTOOLS_METRICS_NAMESPACE: 'gatepass',
            POWERTOOLS_LOG_LEVEL: 'INFO',
          }),
        },
      });
    });

    it('gives the exchange function the cache table and cache key secret from the state stack', () => {
      gatepass.apiTemplate.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionsExchangeRole'), 'Arn'] },
        Environment: {
          Variables: Match.objectEquals({
            GATEPASS_CONFIG_FILE: 'gatepass.config.json',
            POWERTOOLS_SERVICE_NAME: 'gatepass-exchange',
            POWERTOOLS_METRICS_NAMESPACE: 'gatepass',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            GATEPASS_CACHE_TABLE: Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: 'GatepassState' }) }),
            GATEPASS_CACHE_KEY_SECRET_ID: Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: 'GatepassState' }) }),
          }),
        },
      });
    });

    it('keeps each function\'s logs in its own log group with a retention period', () => {
      gatepass.apiTemplate.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 3);
    });
  });

  describe('bundles', () => {
    for (const [name, prefix] of [
      ['authorizer', 'FunctionsAuthorizer'],
      ['exchange', 'FunctionsExchange'],
    ] as const) {
      it(`carries the validated configuration file inside the ${name} bundle, byte for byte`, () => {
        const dir = gatepass.assetDirectoryOf(prefix);
        expect(readFileSync(join(dir, BUNDLED_CONFIG_FILE_NAME), 'utf8')).toBe(readFileSync(exampleConfigFile, 'utf8'));
      });

      it(`bundles the ${name} as minified ESM with a source map and no require shim`, () => {
        const dir = gatepass.assetDirectoryOf(prefix);
        const code = readFileSync(join(dir, BUNDLE_FILE_NAME), 'utf8');
        expect(existsSync(join(dir, `${BUNDLE_FILE_NAME}.map`))).toBe(true);
        expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
        expect(code).toMatch(/export\s*\{[^}]*\bas handler\b/);
        // esbuild emits this shim when a bundled CommonJS module calls require(); ESM output
        // would then need a createRequire banner.
        expect(code).not.toContain('Dynamic require of');
      });

      it(`bundles the AWS SDK into the ${name} rather than leaving it to the runtime`, () => {
        const code = readFileSync(join(gatepass.assetDirectoryOf(prefix), BUNDLE_FILE_NAME), 'utf8');
        expect(code).not.toMatch(/from\s*"@aws-sdk\//);
        expect(code).not.toMatch(/import\(\s*"@aws-sdk\//);
      });
    }

    it('produces with the shared esbuild options exactly the bundle the stack deploys', async () => {
      const outdir = mkdtempSync(join(tmpdir(), 'gatepass-esbuild-'));
      try {
        await build({ ...esbuildOptionsFor(DEFAULT_HANDLER_ENTRIES.authorizer, outdir), logLevel: 'silent' });
        const ours = readFileSync(join(outdir, BUNDLE_FILE_NAME), 'utf8');
        const stacks = readFileSync(join(gatepass.assetDirectoryOf('FunctionsAuthorizer'), BUNDLE_FILE_NAME), 'utf8');
        expect(ours).toBe(stacks);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });
  });

  describe('HTTP API', () => {
    it('creates an HTTP API with an auto-deployed, throttled, access-logged $default stage', () => {
      gatepass.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      gatepass.apiTemplate.resourceCountIs('AWS::ApiGateway::RestApi', 0);
      gatepass.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HttpApiAccessLogs'), 'Arn'] },
          Format: Match.stringLikeRegexp('"routeKey":"\\$context.routeKey"'),
        },
      });
    });

    it('never writes the Authorization header to the access log', () => {
      const stage = Object.values(gatepass.apiTemplate.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
      expect(JSON.stringify(stage).toLowerCase()).not.toContain('authorization');
    });

    it('authorizes with simple responses, keyed by token and route, cached for 60 seconds', () => {
      gatepass.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      gatepass.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
        AuthorizerResultTtlInSeconds: 60,
      });
      expect(HTTP_AUTHORIZER_IDENTITY_SOURCES).toEqual(['$request.header.Authorization', '$context.routeKey']);
    });

    it('creates exactly one route per configured route, each behind the authorizer', () => {
      const routes = Object.values(gatepass.apiTemplate.findResources('AWS::ApiGatewayV2::Route'));
      const routeKeys = routes.map((route) => route.Properties.RouteKey as string).sort();
      expect(routeKeys).toEqual(exampleConfig.routes.map((r) => `${r.method} ${r.path}`).sort());
      for (const route of routes) {
        expect(route.Properties.AuthorizationType).toBe('CUSTOM');
        expect(route.Properties.AuthorizerId).toEqual({ Ref: expect.stringMatching(/^HttpApiGatepassAuthorizer/) });
        expect(route.Properties.Target).toEqual(routes[0]!.Properties.Target);
      }
    });

    it('integrates every route with the exchange function through one payload 2.0 proxy integration', () => {
      gatepass.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
      const [integrationId] = Object.keys(gatepass.apiTemplate.findResources('AWS::ApiGatewayV2::Integration'));
      for (const route of Object.values(gatepass.apiTemplate.findResources('AWS::ApiGatewayV2::Route'))) {
        expect(route.Properties.Target).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] });
      }
      gatepass.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionsExchange'), 'Arn'] },
      });
    });

    it('lets API Gateway invoke each function through one API-wide permission', () => {
      gatepass.apiTemplate.resourceCountIs('AWS::Lambda::Permission', 2);
      for (const prefix of ['FunctionsAuthorizer', 'FunctionsExchange']) {
        gatepass.apiTemplate.hasResourceProperties('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
          FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), 'Arn'] },
        });
      }
    });
  });

  describe('least privilege', () => {
    it('lets the authorizer write its logs and read only its issuers\' introspection secrets', () => {
      expect(statementsOf(gatepass, 'FunctionsAuthorizerRole')).toEqual([
        logsStatement('FunctionsAuthorizerLogs'),
        {
          Sid: 'ReadIntrospectionSecrets',
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: secretArn('gatepass/legacy-introspection'),
        },
      ]);
    });

    it('lets the exchange function read its client secrets and the cache key, and use only the cache table and its key', () => {
      const fromState = Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: 'GatepassState' }) });
      const statements = statementsOf(gatepass, 'FunctionsExchangeRole');
      expect(statements).toHaveLength(5);
      expect(statements[0]).toEqual(logsStatement('FunctionsExchangeLogs'));
      expect(statements[1]).toEqual({
        Sid: 'ReadClientSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: secretArn('gatepass/corp-exchange'),
      });
      gatepass.apiTemplate.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            Match.anyValue(),
            Match.anyValue(),
            { Sid: 'ReadCacheKeySecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: fromState },
            {
              Sid: 'UseCacheTable',
              Effect: 'Allow',
              Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
              Resource: fromState,
            },
            {
              Sid: 'UseCacheTableKeyThroughDynamoDB',
              Effect: 'Allow',
              Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
              Resource: fromState,
              Condition: {
                StringEquals: {
                  'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
                },
              },
            },
          ],
        },
      });
    });

    it('names the cache table, its key and the cache key secret, not look-alikes', () => {
      const statements = statementsOf(gatepass, 'FunctionsExchangeRole') as { Resource: { 'Fn::GetStackOutput': { OutputName: string } } }[];
      const outputs = statements.slice(2).map((s) => s.Resource['Fn::GetStackOutput'].OutputName);
      expect(outputs[0]).toMatch(/CacheKeySecret/);
      expect(outputs[1]).toMatch(/CacheTable.*Arn/);
      expect(outputs[2]).toMatch(/CacheKey.*Arn/);
    });

    it('grants no wildcard action and attaches no managed policy to either function role', () => {
      const policies = JSON.stringify(gatepass.apiTemplate.findResources('AWS::IAM::Policy'));
      expect(policies).not.toMatch(/"[a-z0-9-]+:[A-Za-z]*\*"/);
      const roles = gatepass.apiTemplate.findResources('AWS::IAM::Role');
      for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });
  });

  describe('operations', () => {
    it('alarms on the authorizer through gatepass metrics, never its Lambda Errors metric', () => {
      gatepass.apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'GatepassApi-AuthorizerInternalErrors',
        Namespace: 'gatepass',
        MetricName: 'AuthorizerInternalError',
        Dimensions: [{ Name: 'service', Value: 'gatepass-authorizer' }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      const alarms = Object.values(gatepass.apiTemplate.findResources('AWS::CloudWatch::Alarm'));
      const onAuthorizerErrors = alarms.filter(
        (a) => a.Properties.MetricName === 'Errors' && JSON.stringify(a.Properties.Dimensions).includes('FunctionsAuthorizer'),
      );
      expect(onAuthorizerErrors).toEqual([]);
    });

    it('alarms on exchange_unavailable and gateway_misconfigured answers by code', () => {
      for (const [name, code, threshold] of [
        ['ExchangeUnavailable', 'exchange_unavailable', 5],
        ['GatewayMisconfigured', 'gateway_misconfigured', 1],
      ] as const) {
        gatepass.apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `GatepassApi-${name}`,
          Namespace: 'gatepass',
          MetricName: 'ExchangeError',
          Dimensions: [
            { Name: 'code', Value: code },
            { Name: 'service', Value: 'gatepass-exchange' },
          ],
          Threshold: threshold,
        });
      }
    });

    it('alarms on exchange function errors, throttles of both functions and p99 latency', () => {
      for (const [name, metricName] of [
        ['ExchangeFunctionErrors', 'Errors'],
        ['AuthorizerThrottles', 'Throttles'],
        ['ExchangeThrottles', 'Throttles'],
      ] as const) {
        gatepass.apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `GatepassApi-${name}`,
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Statistic: 'Sum',
        });
      }
      for (const [name, threshold] of [
        ['AuthorizerLatencyP99', 1000],
        ['ExchangeLatencyP99', 10000],
      ] as const) {
        gatepass.apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `GatepassApi-${name}`,
          Namespace: 'AWS/Lambda',
          MetricName: 'Duration',
          ExtendedStatistic: 'p99',
          Threshold: threshold,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
        });
      }
    });

    it('alarms on failing JWKS and introspection calls and on cache table failures', () => {
      gatepass.apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'GatepassApi-AuthorizerDependencyFailures',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'FILL(jwks, 0) + FILL(introspection, 0)' }),
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'JwksFetchFailed' }) }) }),
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'IntrospectionFailed' }) }) }),
        ]),
      });
      gatepass.apiTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'GatepassApi-CacheTableErrors',
        Namespace: 'gatepass',
        MetricName: 'CacheTableError',
      });
      gatepass.apiTemplate.resourceCountIs('AWS::CloudWatch::Alarm', 10);
    });

    it('sends no notifications unless a topic is configured', () => {
      for (const alarm of Object.values(gatepass.apiTemplate.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmActions).toBeUndefined();
      }
      gatepass.apiTemplate.resourceCountIs('AWS::SNS::Topic', 0);
    });

    it('draws the exchange metrics on a dashboard: exchanges, cache hits by layer, errors by code, token endpoint latency', () => {
      gatepass.apiTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = JSON.stringify(gatepass.apiTemplate.findResources('AWS::CloudWatch::Dashboard'));
      for (const needle of [
        '\\"gatepass\\",\\"Exchanges\\"',
        '\\"layer\\",\\"memory\\"',
        '\\"layer\\",\\"table\\"',
        '\\"layer\\",\\"miss\\"',
        'MetricName=\\\\\\"ExchangeError\\\\\\"',
        '\\"TokenEndpointLatency\\"',
      ]) {
        expect(body).toContain(needle);
      }
    });

    it('outputs the API URL; the state stack outputs the table name', () => {
      gatepass.apiTemplate.hasOutput('ApiUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
      gatepass.apiTemplate.hasOutput('ApiType', { Value: 'http' });
      gatepass.stateTemplate.hasOutput('CacheTableName', Match.anyValue());
    });

    it('outputs what an operator needs without the console: each log group, the dashboard URL, the table name (issue #13 point 3)', () => {
      const logGroups = gatepass.apiTemplate.findResources('AWS::Logs::LogGroup');
      const refTo = (prefix: string) => {
        const id = Object.keys(logGroups).find((logicalId) => logicalId.startsWith(prefix));
        expect(id, `a log group ${prefix}*`).toBeDefined();
        return { Ref: id };
      };
      gatepass.apiTemplate.hasOutput('AuthorizerLogGroupName', { Value: refTo('FunctionsAuthorizerLogs') });
      gatepass.apiTemplate.hasOutput('ExchangeLogGroupName', { Value: refTo('FunctionsExchangeLogs') });
      gatepass.apiTemplate.hasOutput('AccessLogGroupName', { Value: refTo('HttpApiAccessLogs') });
      gatepass.apiTemplate.hasOutput('CacheTableName', { Value: Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: 'GatepassState' }) }) });
      const dashboardUrl = JSON.stringify(gatepass.apiTemplate.toJSON()['Outputs']['DashboardUrl']['Value']);
      expect(dashboardUrl).toContain('.console.aws.amazon.com/cloudwatch/home?region=');
      expect(dashboardUrl).toContain('#dashboards:name=');
      expect(dashboardUrl).toContain('{"Ref":"AWS::Region"}');
    });
  });
});
