/**
 * `npm run config:check -- <file>`: validates a configuration file with the schema the
 * functions use. Exit 0 with a summary and the trust inventory; exit 1 with every error.
 */
import { ConfigError } from '../functions/shared/config/config-validator.js';
import { loadConfigFile } from '../functions/shared/config/config-loader.js';
import { describeConfig } from '../functions/shared/config/config-inventory.js';
import { parseCommandLine } from './command-line.js';

const USAGE = `usage: npm run config:check -- <config.json>
  validates a gatepass configuration file with the schema the functions use: prints a summary and
  the trust inventory (exit 0), or every error with its field path (exit 1)`;

const { positionals } = parseCommandLine(USAGE, { options: {}, allowPositionals: true }, ({ positionals }) =>
  positionals.length === 1 ? undefined : `expected one configuration file, got ${positionals.length}`,
);
const file = positionals[0]!;
try {
  const config = loadConfigFile(file);
  console.log(describeConfig(config));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
