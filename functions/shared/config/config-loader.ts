import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { GatepassConfig } from './config-schema.js';
import { ConfigError, parseConfigText } from './config-validator.js';
import { CONFIG_ENV, CONFIG_FILE_ENV } from '../contracts/environment-variables.js';

/**
 * Read the configuration from `GATEPASS_CONFIG` (inline JSON) or `GATEPASS_CONFIG_FILE`
 * (a path; relative paths resolve against the Lambda task root, else the working
 * directory). Exactly one must be set.
 */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatepassConfig {
  const inline = env[CONFIG_ENV];
  const file = env[CONFIG_FILE_ENV];
  if (inline && file) {
    throw new ConfigError([{ path: '(environment)', message: `set either ${CONFIG_ENV} or ${CONFIG_FILE_ENV}, not both` }]);
  }
  if (inline) return parseConfigText(inline, `configuration in ${CONFIG_ENV}`);
  if (file) return loadConfigFile(file, env['LAMBDA_TASK_ROOT']);
  throw new ConfigError([{ path: '(environment)', message: `set ${CONFIG_FILE_ENV} (a path) or ${CONFIG_ENV} (inline JSON)` }]);
}

export function loadConfigFile(file: string, baseDir?: string): GatepassConfig {
  const path = isAbsolute(file) ? file : resolve(baseDir ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  return parseConfigText(text, `configuration file ${file}`);
}
