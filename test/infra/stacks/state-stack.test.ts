import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateStack } from '../../../infra/stacks/state-stack.js';

describe('state stack', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new StateStack(new App(), 'State');
    template = Template.fromStack(stack);
  });

  it('creates one table keyed by the string attribute pk with TTL on expiresAt', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('bills the table on demand with point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('encrypts the table with its own customer-managed key that rotates', () => {
    const keys = template.findResources('AWS::KMS::Key');
    const [keyId] = Object.keys(keys);
    expect(Object.keys(keys)).toHaveLength(1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
  });

  it('retains the table, its key and the cache key secret when they leave the stack', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::SecretsManager::Secret']) {
      template.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('has Secrets Manager generate 64 characters of cache key material', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectEquals({ PasswordLength: 64, ExcludePunctuation: true }),
    });
  });

  it('outputs the table name and the cache key secret ARN', () => {
    template.hasOutput('CacheTableName', { Value: { Ref: Match.stringLikeRegexp('^CacheTable') } });
    template.hasOutput('CacheKeySecretArn', { Value: { Ref: Match.stringLikeRegexp('^CacheCacheKeySecret') } });
  });
});
