import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { secretResourceArn, uniqueSorted } from '../../infra/secret-arns.js';

describe('secret resource ARNs', () => {
  it('turns a secret name into an ARN of this account and region that matches the 6-character suffix', () => {
    const stack = new Stack();
    expect(stack.resolve(secretResourceArn(stack, 'gatepass/corp-exchange'))).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:gatepass/corp-exchange-??????'],
      ],
    });
  });

  it('uses a full ARN as given', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatepass/corp-exchange-AbCdEf';
    expect(secretResourceArn(new Stack(), arn)).toBe(arn);
  });

  it('lists resources once each, in a stable order', () => {
    expect(uniqueSorted(['b', 'a', 'b'])).toEqual(['a', 'b']);
  });
});
