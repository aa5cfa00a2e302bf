import { resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../functions/shared/config/config-validator.js';

/**
 * Deployment choices read from CDK context (`cdk.json` or `cdk deploy -c key=value`).
 * They shape the infrastructure, not the functions' behaviour, so they live here rather
 * than in the gatepass configuration document.
 */
const ContextKey = {
  /** Path of the gatepass configuration file, relative to the working directory. */
  Config: 'gatepass:config',
  /** `http` (HTTP API, default) or `rest` (REST API). */
  ApiType: 'gatepass:apiType',
  /** API Gateway's authorizer result cache, seconds; 0 turns it off. */
  AuthorizerCacheTtlSeconds: 'gatepass:authorizerCacheTtlSeconds',
  /** X-Ray active tracing on the functions (and the REST stage). */
  Tracing: 'gatepass:tracing',
  /** CloudWatch Logs retention of the function and access logs, days. */
  LogRetentionDays: 'gatepass:logRetentionDays',
  /** Stage throttling: steady requests per second, and burst. */
  ThrottleRateLimit: 'gatepass:throttleRateLimit',
  ThrottleBurstLimit: 'gatepass:throttleBurstLimit',
  /** Existing SNS topic for alarm notifications. */
  AlarmTopicArn: 'gatepass:alarmTopicArn',
  /** E-mail address subscribed to a topic the stack creates for alarm notifications. */
  AlarmEmail: 'gatepass:alarmEmail',
  /** REST only: let the stack set the account's API Gateway CloudWatch Logs role. */
  RestCloudWatchRole: 'gatepass:restCloudWatchRole',
  /** Prefix of the stack names (`<prefix>State`, `<prefix>Api`). */
  StackPrefix: 'gatepass:stackPrefix',
} as const;

export type ApiType = 'http' | 'rest';

export interface DeploymentSettings {
  readonly configFile: string;
  readonly apiType: ApiType;
  readonly authorizerCacheTtlSeconds: number;
  readonly tracing: boolean;
  readonly logRetentionDays: number;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly alarmTopicArn?: string;
  readonly alarmEmail?: string;
  readonly restCloudWatchRole: boolean;
  readonly stackPrefix: string;
}

/** Shipped to copy from; its hosts are placeholders, so it is never a default (docs/deploy.md "Write the configuration"). */
export const EXAMPLE_CONFIG_FILE = 'infra/gatepass.config.example.json';

/** Every setting but `configFile`, which must always be given. */
export const DEFAULT_DEPLOYMENT_SETTINGS = {
  apiType: 'http',
  authorizerCacheTtlSeconds: 60,
  tracing: false,
  logRetentionDays: 30,
  throttleRateLimit: 1000,
  throttleBurstLimit: 2000,
  restCloudWatchRole: true,
  stackPrefix: 'Gatepass',
} as const satisfies Partial<DeploymentSettings>;

const KNOWN_KEYS: readonly string[] = Object.values(ContextKey);
const GATEPASS_PREFIX = 'gatepass:';

/** The retention periods CloudWatch Logs accepts. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/** API Gateway caches authorizer results for at most an hour. */
const MAX_AUTHORIZER_CACHE_TTL = 3600;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const STACK_PREFIX = /^[A-Za-z][A-Za-z0-9-]{0,100}$/;

/**
 * Read and check every deployment setting from the whole CDK context (`app.node.getAllContext()`);
 * context given on the command line arrives as strings, so numbers and booleans are accepted in
 * both forms. A `gatepass:*` key this function does not read is an error naming the nearest
 * known key, so a typo never silently falls back to a default. All problems are reported at
 * once, each under its context key.
 */
export function readDeploymentSettings(context: Readonly<Record<string, unknown>>, cwd = process.cwd()): DeploymentSettings {
  const issues: ConfigIssue[] = [];
  const reader = new ContextReader((key) => context[key], issues);
  const d = DEFAULT_DEPLOYMENT_SETTINGS;

  for (const key of Object.keys(context)) {
    if (key.startsWith(GATEPASS_PREFIX) && !KNOWN_KEYS.includes(key)) reader.fail(key, unknownKeyMessage(key));
  }
  const configFile = reader.optionalString(ContextKey.Config);
  const rawConfigFile = context[ContextKey.Config];
  if (configFile === undefined && (rawConfigFile === undefined || rawConfigFile === null || rawConfigFile === '')) {
    reader.fail(
      ContextKey.Config,
      `is required: -c ${ContextKey.Config}=<file> (copy ${EXAMPLE_CONFIG_FILE}, whose hosts are placeholders, and check it with npm run config:check -- --deploy <file>)`,
    );
  }
  const apiType = reader.string(ContextKey.ApiType, d.apiType);
  if (apiType !== 'http' && apiType !== 'rest') reader.fail(ContextKey.ApiType, `must be "http" or "rest" (got "${apiType}")`);
  const logRetentionDays = reader.integer(ContextKey.LogRetentionDays, d.logRetentionDays, 1, 3653);
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    reader.fail(ContextKey.LogRetentionDays, `must be a CloudWatch Logs retention period (${RETENTION_DAYS.join(', ')})`);
  }
  const alarmTopicArn = reader.optionalString(ContextKey.AlarmTopicArn);
  if (alarmTopicArn !== undefined && !TOPIC_ARN.test(alarmTopicArn)) reader.fail(ContextKey.AlarmTopicArn, 'must be an SNS topic ARN');
  const alarmEmail = reader.optionalString(ContextKey.AlarmEmail);
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) reader.fail(ContextKey.AlarmEmail, 'must be an e-mail address');
  const stackPrefix = reader.string(ContextKey.StackPrefix, d.stackPrefix);
  if (!STACK_PREFIX.test(stackPrefix)) reader.fail(ContextKey.StackPrefix, 'must start with a letter: letters, digits and "-"');

  const settings: DeploymentSettings = {
    configFile: resolve(cwd, configFile ?? ''),
    apiType: apiType === 'rest' ? 'rest' : 'http',
    authorizerCacheTtlSeconds: reader.integer(ContextKey.AuthorizerCacheTtlSeconds, d.authorizerCacheTtlSeconds, 0, MAX_AUTHORIZER_CACHE_TTL),
    tracing: reader.boolean(ContextKey.Tracing, d.tracing),
    logRetentionDays,
    throttleRateLimit: reader.integer(ContextKey.ThrottleRateLimit, d.throttleRateLimit, 1, 1_000_000),
    throttleBurstLimit: reader.integer(ContextKey.ThrottleBurstLimit, d.throttleBurstLimit, 1, 1_000_000),
    ...(alarmTopicArn === undefined ? {} : { alarmTopicArn }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    restCloudWatchRole: reader.boolean(ContextKey.RestCloudWatchRole, d.restCloudWatchRole),
    stackPrefix,
  };
  if (issues.length > 0) throw new ConfigError(issues, 'CDK context');
  return settings;
}

/** Case-insensitive edit distance picks the suggestion: `gatepass:confg` and `gatepass:apitype` both find theirs. */
function unknownKeyMessage(key: string): string {
  const ranked = KNOWN_KEYS.map((known) => ({ known, distance: editDistance(key.toLowerCase(), known.toLowerCase()) })).sort(
    (a, b) => a.distance - b.distance,
  );
  const nearest = ranked[0]!;
  const hint = nearest.distance <= Math.max(3, Math.floor(key.length / 3)) ? `did you mean ${nearest.known}? ` : '';
  return `unknown gatepass context key: ${hint}(known keys: ${KNOWN_KEYS.join(', ')})`;
}

/** Levenshtein distance; hand-written because it is ten lines and no dependency has it. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

class ContextReader {
  constructor(
    private readonly get: (key: string) => unknown,
    private readonly issues: ConfigIssue[],
  ) {}

  fail(key: string, message: string): void {
    this.issues.push({ path: `context.${key}`, message });
  }

  string(key: string, fallback: string): string {
    return this.optionalString(key) ?? fallback;
  }

  optionalString(key: string): string | undefined {
    const value = this.get(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    this.fail(key, `must be a string (got ${typeof value})`);
    return undefined;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const value = this.get(key);
    if (value === undefined || value === null || value === '') return fallback;
    const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number)) {
      this.fail(key, `must be an integer (got ${JSON.stringify(value)})`);
      return fallback;
    }
    if (number < min || number > max) {
      this.fail(key, `must be between ${min} and ${max} (got ${number})`);
      return fallback;
    }
    return number;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.get(key);
    if (value === undefined || value === null || value === '') return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.fail(key, `must be true or false (got ${JSON.stringify(value)})`);
    return fallback;
  }
}
