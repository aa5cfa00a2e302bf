import { Duration, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readDeploymentSettings, type DeploymentSettings } from './deployment-settings.js';
import { loadGatepassConfig, type GatepassConfigSource } from './gatepass-config-source.js';
import { ApiStack } from './stacks/api-stack.js';
import { StateStack } from './stacks/state-stack.js';

export interface GatepassApp {
  readonly settings: DeploymentSettings;
  readonly config: GatepassConfigSource;
  readonly state: StateStack;
  readonly api: ApiStack;
}

/**
 * Build gatepass into `app` from its CDK context: validate the deployment settings and the
 * configuration file (a `ConfigError` names every offending field, local-only settings
 * included: docs/deploy.md "Write the configuration"), create the state and
 * API stacks, and run cdk-nag's AWS Solutions checks on the whole app at synth.
 * The stacks have no `env` and do no lookups: synth needs no credentials.
 */
export function buildGatepassApp(app: App): GatepassApp {
  const settings = readDeploymentSettings(app.node.getAllContext() as Record<string, unknown>);
  const config = loadGatepassConfig(settings.configFile);

  const state = new StateStack(app, `${settings.stackPrefix}State`, {
    description: 'gatepass state: exchange cache table, its KMS key and the cache key secret (retained)',
  });
  const api = new ApiStack(app, `${settings.stackPrefix}Api`, {
    description: `gatepass: authorizer and exchange functions behind an ${settings.apiType.toUpperCase()} API`,
    config,
    cache: state.cache,
    apiType: settings.apiType,
    authorizerCacheTtl: Duration.seconds(settings.authorizerCacheTtlSeconds),
    tracing: settings.tracing,
    logRetention: settings.logRetentionDays,
    throttle: { rateLimit: settings.throttleRateLimit, burstLimit: settings.throttleBurstLimit },
    restCloudWatchRole: settings.restCloudWatchRole,
    ...(settings.alarmTopicArn === undefined ? {} : { alarmTopicArn: settings.alarmTopicArn }),
    ...(settings.alarmEmail === undefined ? {} : { alarmEmail: settings.alarmEmail }),
  });
  api.addStackDependency(state);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { settings, config, state, api };
}
