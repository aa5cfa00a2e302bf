import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { GatepassCacheTable, type GatepassCacheTableProps } from '../constructs/gatepass-cache-table.js';

export interface StateStackProps extends StackProps {
  /** Options of the cache table, its key and the cache key secret. */
  readonly cache?: GatepassCacheTableProps;
}

/**
 * The stateful half of gatepass: the exchange cache table, its KMS key and the cache key
 * secret, all retained when the stack goes. Deployed apart from the functions so that
 * replacing or removing the API never touches them.
 */
export class StateStack extends Stack {
  public readonly cache: GatepassCacheTable;

  constructor(scope: Construct, id: string, props: StateStackProps = {}) {
    super(scope, id, props);
    this.cache = new GatepassCacheTable(this, 'Cache', props.cache);
    new CfnOutput(this, 'CacheTableName', {
      value: this.cache.table.tableName,
      description: 'DynamoDB table of the exchange cache (GATEPASS_CACHE_TABLE)',
    });
    new CfnOutput(this, 'CacheKeySecretArn', {
      value: this.cache.cacheKeySecret.secretArn,
      description: 'Secret holding the cache key material (GATEPASS_CACHE_KEY_SECRET_ID)',
    });
  }
}
