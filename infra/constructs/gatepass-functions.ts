import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CACHE_KEY_SECRET_ENV, CACHE_TABLE_ENV, CONFIG_FILE_ENV } from '../../functions/shared/contracts/environment-variables.js';
import { METRICS_NAMESPACE, ServiceName } from '../../functions/shared/contracts/metric-names.js';
import { BUNDLED_CONFIG_FILE_NAME, bundleFeaturesOf, nodejsBundlingOptions } from '../bundling-options.js';
import { secretIdsReadBy } from '../deployable-config.js';
import type { GatepassConfigSource } from '../gatepass-config-source.js';
import { secretResourceArn, uniqueSorted } from '../secret-arns.js';

/** The newest Node.js runtime aws-cdk-lib 2.276 offers; the bundles target Node 22 and run on it. */
const GATEPASS_RUNTIME = Runtime.NODEJS_24_X;

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** This repository's handlers (contract: docs/design.md, export `handler`). */
export const DEFAULT_HANDLER_ENTRIES = {
  authorizer: fileURLToPath(new URL('../../functions/authorizer/handler.ts', import.meta.url)),
  exchange: fileURLToPath(new URL('../../functions/exchange/handler.ts', import.meta.url)),
} as const;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * The exchange cache's state: a `GatepassCacheTable` as it is, or its three parts imported
 * (`Table.fromTableArn`, `Key.fromKeyArn`, `Secret.fromSecretCompleteArn`).
 */
export interface GatepassCacheState {
  /** The exchange cache table (GetItem, PutItem and DeleteItem only). */
  readonly table: ITable;
  /** The table's customer-managed key; used only through DynamoDB. */
  readonly encryptionKey: IKey;
  /** The secret whose value is the cache key material. */
  readonly cacheKeySecret: ISecret;
}

export interface GatepassFunctionsProps {
  /** The validated configuration; its file travels inside both bundles. */
  readonly config: GatepassConfigSource;
  /** The exchange cache the exchange function reads and writes. */
  readonly cache: GatepassCacheState;
  /**
   * X-Ray active tracing.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Retention of both functions' log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Memory of the authorizer; CPU grows with it, and signature checks are CPU.
   * @default 512
   */
  readonly authorizerMemorySize?: number;
  /**
   * Memory of the exchange function.
   * @default 512
   */
  readonly exchangeMemorySize?: number;
  /**
   * Authorizer timeout: JWKS and introspection calls have their own, shorter, budgets.
   * @default Duration.seconds(10)
   */
  readonly authorizerTimeout?: Duration;
  /**
   * Exchange timeout: API Gateway gives up on the integration at 29-30 s anyway.
   * @default Duration.seconds(29)
   */
  readonly exchangeTimeout?: Duration;
  /**
   * Handler source files, for a team that vendors gatepass elsewhere.
   * @default DEFAULT_HANDLER_ENTRIES (this repository's functions/)
   */
  readonly entries?: { readonly authorizer: string; readonly exchange: string };
  /**
   * Directory holding package-lock.json and node_modules for bundling.
   * @default this repository's root
   */
  readonly projectRoot?: string;
}

/**
 * The two gatepass Lambda functions, bundled by the local esbuild with the shared
 * options, each with its own log group and a role that holds exactly what it needs:
 * the authorizer reads its issuers' introspection secrets; the exchange function reads
 * its authorization servers' client secrets, the introspection secrets of the issuers MCP
 * routes accept (it validates those routes' tokens), and the cache key, and uses the cache table.
 */
export class GatepassFunctions extends Construct {
  public readonly authorizer: NodejsFunction;
  public readonly exchange: NodejsFunction;
  public readonly authorizerRole: Role;
  public readonly exchangeRole: Role;
  public readonly authorizerLogGroup: LogGroup;
  public readonly exchangeLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GatepassFunctionsProps) {
    super(scope, id);
    const { config } = props.config;
    const entries = props.entries ?? DEFAULT_HANDLER_ENTRIES;
    const projectRoot = props.projectRoot ?? repositoryRoot;
    const tracing = props.tracing ?? false;

    const common = {
      runtime: GATEPASS_RUNTIME,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      bundling: nodejsBundlingOptions(props.config.file, bundleFeaturesOf(config)),
      awsSdkConnectionReuse: false,
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
    };
    const environment = (service: string) => ({
      [CONFIG_FILE_ENV]: BUNDLED_CONFIG_FILE_NAME,
      // No NODE_OPTIONS=--enable-source-maps: parsing the map costs 5–12 ms per cold start on Node 24
      // (docs/performance.md "Cold start: what was kept and what was not"); the .map files stay in the bundle.
      POWERTOOLS_SERVICE_NAME: service,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    });
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.authorizerLogGroup = new LogGroup(this, 'AuthorizerLogs', { retention: logRetention });
    this.authorizerRole = this.functionRole('AuthorizerRole', 'gatepass authorizer', this.authorizerLogGroup);
    this.authorizer = new NodejsFunction(this, 'Authorizer', {
      ...common,
      entry: entries.authorizer,
      description: 'gatepass: validates bearer tokens and classifies each request (exchange | passthrough)',
      memorySize: props.authorizerMemorySize ?? 512,
      timeout: props.authorizerTimeout ?? Duration.seconds(10),
      role: this.authorizerRole,
      logGroup: this.authorizerLogGroup,
      environment: environment(ServiceName.Authorizer),
    });

    // The secrets config:check lists (deployable-config.ts requiredSecrets), so the two cannot drift.
    this.allowSecretReads(this.authorizerRole, 'ReadIntrospectionSecrets', secretIdsReadBy(config, 'authorizer', 'introspection'));

    this.exchangeLogGroup = new LogGroup(this, 'ExchangeLogs', { retention: logRetention });
    this.exchangeRole = this.functionRole('ExchangeRole', 'gatepass exchange', this.exchangeLogGroup);
    this.exchange = new NodejsFunction(this, 'Exchange', {
      ...common,
      entry: entries.exchange,
      description: 'gatepass: exchanges the caller token (RFC 8693) and forwards the request upstream',
      memorySize: props.exchangeMemorySize ?? 512,
      timeout: props.exchangeTimeout ?? Duration.seconds(29),
      role: this.exchangeRole,
      logGroup: this.exchangeLogGroup,
      environment: {
        ...environment(ServiceName.Exchange),
        [CACHE_TABLE_ENV]: props.cache.table.tableName,
        [CACHE_KEY_SECRET_ENV]: props.cache.cacheKeySecret.secretArn,
      },
    });

    this.allowSecretReads(this.exchangeRole, 'ReadClientSecrets', secretIdsReadBy(config, 'exchange', 'client'));
    // The exchange function validates MCP routes' tokens itself (no authorizer on them).
    this.allowSecretReads(this.exchangeRole, 'ReadMcpIntrospectionSecrets', secretIdsReadBy(config, 'exchange', 'introspection'));
    this.exchangeRole.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadCacheKeySecret',
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.cache.cacheKeySecret.secretArn],
      }),
    );
    this.exchangeRole.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'UseCacheTable',
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [props.cache.table.tableArn],
      }),
    );
    const stack = Stack.of(this);
    this.exchangeRole.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'UseCacheTableKeyThroughDynamoDB',
        effect: Effect.ALLOW,
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.cache.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}` } },
      }),
    );

    if (tracing) {
      for (const role of [this.authorizerRole, this.exchangeRole]) {
        Validations.of(role).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; AWS documents Resource "*".',
        });
      }
    }
  }

  /** A role with no managed policy: it may write to its own log group and nothing else yet. */
  private functionRole(id: string, description: string, logGroup: LogGroup): Role {
    const role = new Role(this, id, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${description} Lambda function`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    return role;
  }

  /** GetSecretValue on exactly the configured secrets; name-based ARNs need the suffix wildcard. */
  private allowSecretReads(role: Role, sid: string, secretIds: readonly string[]): void {
    if (secretIds.length === 0) return;
    const resources = uniqueSorted(secretIds.map((secretId) => secretResourceArn(this, secretId)));
    role.addToPrincipalPolicy(
      new PolicyStatement({ sid, effect: Effect.ALLOW, actions: ['secretsmanager:GetSecretValue'], resources }),
    );
    const stack = Stack.of(this);
    for (const secretId of uniqueSorted(secretIds)) {
      if (secretId.startsWith('arn:')) continue;
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(stack, secretResourceArn(this, secretId))}]`,
        reason:
          `Secret "${secretId}" is named in the configuration; Secrets Manager appends "-" and 6 random characters to ` +
          'every secret ARN, so the policy must match that suffix. "??????" matches exactly those 6 characters.',
      });
    }
  }
}

/** How cdk-nag prints a resource that contains pseudo parameters: `<AWS::Region>` etc. */
function nagResourceText(stack: Stack, arn: string): string {
  const resolved: unknown = stack.resolve(arn);
  if (typeof resolved === 'string') return resolved;
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`cannot render ${JSON.stringify(resolved)} for cdk-nag`);
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      if (ref) return `<${ref}>`;
      throw new Error(`cannot render ${JSON.stringify(part)} for cdk-nag`);
    })
    .join(join[0]);
}
