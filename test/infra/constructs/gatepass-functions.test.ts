import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatepassFunctions } from '../../../infra/constructs/gatepass-functions.js';
import { loadGatepassConfig } from '../../../infra/gatepass-config-source.js';

const clientSecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/corp-exchange-AbCdEf';
const tableArn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/gatepass-cache';
const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const cacheKeySecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatepass/cache-key-QwErTy';

describe('GatepassFunctions embedded in a team\'s own stack', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'gatepass-functions-'));
  let template: Template;

  beforeAll(() => {
    const file = join(scratch, 'gatepass.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        issuers: { corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks' } },
        authorizationServers: {
          corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId: clientSecretArn },
          sts: { issuer: 'https://sts.googleapis.com', tokenEndpoint: 'https://sts.googleapis.com/v1/token', clientAuth: 'none' },
        },
        routes: [{ id: 'orders', method: 'GET', path: '/orders', upstream: 'https://orders.example', acceptedIssuers: ['corp'] }],
      }),
    );
    const stack = new Stack(new App(), 'Team');
    new GatepassFunctions(stack, 'Gatepass', {
      config: loadGatepassConfig(file),
      cache: {
        table: Table.fromTableArn(stack, 'Table', tableArn),
        encryptionKey: Key.fromKeyArn(stack, 'Key', keyArn),
        cacheKeySecret: Secret.fromSecretCompleteArn(stack, 'CacheKey', cacheKeySecretArn),
      },
      logRetention: RetentionDays.ONE_WEEK,
      logLevel: 'WARN',
    });
    template = Template.fromStack(stack);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const statementsOf = (rolePrefix: string) =>
    Object.values(template.findResources('AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))!
      .Properties.PolicyDocument.Statement as { Sid: string; Action: unknown; Resource: unknown }[];

  it('gives the authorizer no Secrets Manager access when no issuer introspects', () => {
    expect(statementsOf('GatepassAuthorizerRole').map((s) => s.Sid)).toEqual(['WriteOwnLogs']);
  });

  it('uses secret ARNs from the configuration as given', () => {
    const read = statementsOf('GatepassExchangeRole').filter((s) => s.Action === 'secretsmanager:GetSecretValue');
    expect(read.map((s) => s.Resource)).toEqual([clientSecretArn, cacheKeySecretArn]);
  });

  it('grants no secret read for a server with clientAuth "none", which has no secret', () => {
    const clientSecrets = statementsOf('GatepassExchangeRole').find((s) => s.Sid === 'ReadClientSecrets')!;
    expect(clientSecrets.Resource).toBe(clientSecretArn);
  });

  it('scopes table and key use to the given table and key', () => {
    const statements = statementsOf('GatepassExchangeRole');
    expect(statements.find((s) => s.Sid === 'UseCacheTable')!.Resource).toBe(tableArn);
    expect(statements.find((s) => s.Sid === 'UseCacheTableKeyThroughDynamoDB')!.Resource).toBe(keyArn);
  });

  it('applies the log level, retention and default sizes it was given', () => {
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 2);
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { MemorySize: 512, Environment: { Variables: { POWERTOOLS_LOG_LEVEL: 'WARN' } } },
      2,
    );
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 10, Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'gatepass-authorizer' } } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 29,
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'gatepass-exchange', GATEPASS_CACHE_TABLE: 'gatepass-cache', GATEPASS_CACHE_KEY_SECRET_ID: cacheKeySecretArn } },
    });
  });
});
