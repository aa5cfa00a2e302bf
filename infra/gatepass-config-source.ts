import { resolve } from 'node:path';
import type { GatepassConfig } from '../functions/shared/config/config-schema.js';
import { loadConfigFile } from '../functions/shared/config/config-loader.js';

/**
 * A validated configuration and the file it came from. The stacks read routes, issuers
 * and secret ids from `config`; the bundles carry `file` itself, so the functions
 * validate at init exactly the document that passed at synth.
 */
export interface GatepassConfigSource {
  /** Absolute path of the configuration file. */
  readonly file: string;
  readonly config: GatepassConfig;
}

/**
 * Load and validate a configuration file with the functions' own schema. Throws a
 * `ConfigError` that names the field path of every problem.
 */
export function loadGatepassConfig(file: string): GatepassConfigSource {
  const path = resolve(file);
  return { file: path, config: loadConfigFile(path) };
}
