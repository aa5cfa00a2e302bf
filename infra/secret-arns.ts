import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * The IAM resource for a `clientSecretId` from the configuration: a full ARN is used as
 * given; a name becomes `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-??????`.
 *
 * Why the wildcard: Secrets Manager appends `-` and six random characters to every secret's
 * ARN, so a policy that names a secret by name must match that suffix. Exactly six `?`
 * (not `*`) keeps `gatepass/corp` from also matching `gatepass/corp-admin`, whose ARN
 * ends in `corp-admin-AbCdEf`.
 */
export function secretResourceArn(scope: Construct, secretId: string): string {
  if (secretId.startsWith('arn:')) return secretId;
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${secretId}${SECRET_SUFFIX_WILDCARD}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

const SECRET_SUFFIX_WILDCARD = '-??????';

/** Sorted, without duplicates: stable templates whatever the order in the config. */
export function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}
