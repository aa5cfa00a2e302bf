/**
 * `npm run config:check -- <file>`: validates a configuration file with the schema the
 * functions use. Exit 0 with a summary and the trust inventory; exit 1 with every error.
 */
import { ConfigError } from '../functions/shared/config/config-validator.js';
import { loadConfigFile } from '../functions/shared/config/config-loader.js';
import { describeConfig } from '../functions/shared/config/config-inventory.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: npm run config:check -- <config.json>');
  process.exit(2);
}
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
