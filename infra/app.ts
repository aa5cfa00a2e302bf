#!/usr/bin/env node
import { relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { configSummary } from '../functions/shared/config/config-inventory.js';
import { ConfigError } from '../functions/shared/config/config-validator.js';
import { EXAMPLE_CONFIG_FILE } from './deployment-settings.js';
import { buildGatepassApp } from './gatepass-app.js';

const app = new App();
try {
  const { config } = buildGatepassApp(app);
  // stderr: `cdk synth` prints the template on stdout, and the operator must see which file went in.
  const file = relative(process.cwd(), config.file) || config.file;
  console.error(`gatepass: configuration ${file}: ${configSummary(config.config)}`);
  if (file === EXAMPLE_CONFIG_FILE) console.error('gatepass: this is the example configuration; its hosts are placeholders and do not resolve: copy it before deploying');
} catch (error) {
  // A bad configuration or context is the user's to fix: the field paths, not a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
