#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../functions/shared/config/config-validator.js';
import { buildGatepassApp } from './gatepass-app.js';

const app = new App();
try {
  buildGatepassApp(app);
} catch (error) {
  // A bad configuration or context is the user's to fix: the field paths, not a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
