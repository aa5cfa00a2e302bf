import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/shared/config/config-validator.js';
import { DEFAULT_DEPLOYMENT_SETTINGS, readDeploymentSettings } from '../../infra/deployment-settings.js';

const config = { 'gatepass:config': 'config/prod.json' };
const read = (context: Record<string, unknown>) => readDeploymentSettings({ ...config, ...context }, '/repo');

function issuesOf(context: Record<string, unknown>): string[] {
  try {
    read(context);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('deployment settings from CDK context', () => {
  it('defaults to an HTTP API with a 60 second authorizer cache', () => {
    expect(read({})).toEqual({
      configFile: '/repo/config/prod.json',
      apiType: 'http',
      authorizerCacheTtlSeconds: 60,
      tracing: false,
      logRetentionDays: 30,
      throttleRateLimit: 1000,
      throttleBurstLimit: 2000,
      restCloudWatchRole: true,
      stackPrefix: 'Gatepass',
    });
    expect(DEFAULT_DEPLOYMENT_SETTINGS.apiType).toBe('http');
  });

  it('accepts numbers and booleans as the command line gives them, as strings', () => {
    const settings = read({
      'gatepass:apiType': 'rest',
      'gatepass:authorizerCacheTtlSeconds': '0',
      'gatepass:tracing': 'true',
      'gatepass:restCloudWatchRole': 'false',
      'gatepass:logRetentionDays': '365',
    });
    expect(settings).toMatchObject({ apiType: 'rest', authorizerCacheTtlSeconds: 0, tracing: true, restCloudWatchRole: false, logRetentionDays: 365 });
  });

  it('resolves the configuration path against the working directory', () => {
    expect(read({ 'gatepass:config': 'config/prod.json' }).configFile).toBe('/repo/config/prod.json');
    expect(read({ 'gatepass:config': '/etc/gatepass.json' }).configFile).toBe('/etc/gatepass.json');
  });

  it('never defaults to the example configuration: gatepass:config is required, with how to start one (issue #13 point 2)', () => {
    for (const absent of [{}, { 'gatepass:config': '' }]) {
      expect(() => readDeploymentSettings(absent, '/repo')).toThrow(ConfigError);
      try {
        readDeploymentSettings(absent, '/repo');
      } catch (error) {
        expect((error as ConfigError).issues).toEqual([
          {
            path: 'context.gatepass:config',
            message:
              'is required: -c gatepass:config=<file> (copy infra/gatepass.config.example.json, whose hosts are placeholders, and check it with npm run config:check -- --deploy <file>)',
          },
        ]);
      }
    }
    expect(DEFAULT_DEPLOYMENT_SETTINGS).not.toHaveProperty('configFile');
  });

  it('refuses an unknown gatepass:* key, naming the nearest known key; other keys are not its business (issue #13 point 2)', () => {
    const problems = issuesOf({ 'gatepass:confg': 'x.json', 'gatepass:apitype': 'rest', 'gatepass:zzzzzzzzzzzzzzzzzzzzzz': 1, '@aws-cdk/core:whatever': true });
    expect(problems[0]).toMatch(/^context\.gatepass:confg: unknown gatepass context key: did you mean gatepass:config\? \(known keys: gatepass:config, gatepass:apiType, /);
    expect(problems[1]).toMatch(/^context\.gatepass:apitype: unknown gatepass context key: did you mean gatepass:apiType\? /);
    expect(problems[2]).toMatch(/^context\.gatepass:zzzzzzzzzzzzzzzzzzzzzz: unknown gatepass context key: \(known keys: /);
    expect(problems).toHaveLength(3);
  });

  it('passes an alarm topic ARN and an alarm e-mail through', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:oncall';
    expect(read({ 'gatepass:alarmTopicArn': topic, 'gatepass:alarmEmail': 'ops@example.com' })).toMatchObject({
      alarmTopicArn: topic,
      alarmEmail: 'ops@example.com',
    });
  });

  it('refuses every bad value at once, each under its context key', () => {
    expect(
      issuesOf({
        'gatepass:apiType': 'grpc',
        'gatepass:authorizerCacheTtlSeconds': 3601,
        'gatepass:tracing': 'yes',
        'gatepass:logRetentionDays': 10,
        'gatepass:throttleRateLimit': 1.5,
        'gatepass:alarmTopicArn': 'oncall',
        'gatepass:alarmEmail': 'not-an-address',
        'gatepass:stackPrefix': '1st',
        'gatepass:config': 42,
      }),
    ).toEqual([
      'context.gatepass:config: must be a string (got number)',
      'context.gatepass:apiType: must be "http" or "rest" (got "grpc")',
      'context.gatepass:logRetentionDays: must be a CloudWatch Logs retention period (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)',
      'context.gatepass:alarmTopicArn: must be an SNS topic ARN',
      'context.gatepass:alarmEmail: must be an e-mail address',
      'context.gatepass:stackPrefix: must start with a letter: letters, digits and "-"',
      'context.gatepass:authorizerCacheTtlSeconds: must be between 0 and 3600 (got 3601)',
      'context.gatepass:tracing: must be true or false (got "yes")',
      'context.gatepass:throttleRateLimit: must be an integer (got 1.5)',
    ]);
  });
});
