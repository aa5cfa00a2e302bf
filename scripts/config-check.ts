/**
 * `npm run config:check -- [--deploy] [--rest] <file>`: validates a configuration file with
 * the schema the functions use. Exit 0 with a summary, the trust inventory and the secrets
 * to create, and any warnings on stderr (config-check-warnings.ts); exit 1 with every error.
 * `--deploy` adds what synth refuses (local-only settings), `--rest` what a REST API cannot hold
 * (and warnings for MCP routes on it).
 */
import { ConfigError, type ConfigIssue } from '../functions/shared/config/config-validator.js';
import { loadConfigFile } from '../functions/shared/config/config-loader.js';
import { describeConfig } from '../functions/shared/config/config-inventory.js';
import { deployabilityIssues, describeRequiredSecrets } from '../infra/deployable-config.js';
import { apiTypeIssues, apiTypeText, describeMcpRoutes, mcpRestWarnings } from '../infra/gateway-routes.js';
import { parseCommandLine } from './command-line.js';
import { configWarnings } from './config-check-warnings.js';

const USAGE = `usage: npm run config:check -- [--deploy] [--rest] <config.json>
  validates a gatepass configuration file with the schema the functions use: prints a summary, the
  trust inventory and the secrets to create (exit 0; warnings, which are not errors, on stderr), or
  every error with its field path (exit 1)
  --deploy  also judge it as \`cdk synth\` does: no insecureLoopbackHttp, no loopback or http URL, and
            what an HTTP API (the default gatepass:apiType) refuses, such as cors on an ANY route
  --rest    also report what a REST API (gatepass:apiType=rest) refuses: variable names at one level,
            different cors blocks on one path; and warn about MCP routes, whose challenge a REST API renames`;

const { positionals, values } = parseCommandLine(
  USAGE,
  { options: { deploy: { type: 'boolean', default: false }, rest: { type: 'boolean', default: false } }, allowPositionals: true },
  ({ positionals }) => (positionals.length === 1 ? undefined : `expected one configuration file, got ${positionals.length}`),
);
const file = positionals[0]!;
try {
  const config = loadConfigFile(file);
  // The API type's own refusals: REST with --rest; HTTP (the default type) with --deploy alone.
  const apiType = values.rest ? 'rest' : values.deploy ? 'http' : undefined;
  const issues: ConfigIssue[] = [
    ...(values.deploy ? deployabilityIssues(config) : []),
    ...(apiType === undefined ? [] : apiTypeIssues(config.routes, apiType)),
  ];
  if (issues.length > 0) {
    const judged = [values.deploy && 'a deployment', apiType && apiTypeText(apiType)].filter(Boolean).join(' to ');
    throw new ConfigError(issues, `configuration file ${file} for ${judged}`);
  }
  const mcpRoutes = describeMcpRoutes(config);
  console.log([describeConfig(config), ...(mcpRoutes === undefined ? [] : [mcpRoutes]), describeRequiredSecrets(config)].join('\n\n'));
  const warnings = [...configWarnings(config), ...(values.rest ? mcpRestWarnings(config) : [])];
  if (warnings.length > 0) console.error(`warnings (valid, but likely not what was meant):\n${warnings.map((w) => `  ${w.path}: ${w.message}`).join('\n')}`);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
