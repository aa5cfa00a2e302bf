import { resolve } from 'node:path';
import type { GatepassConfig } from '../functions/shared/config/config-schema.js';
import { loadConfigFile } from '../functions/shared/config/config-loader.js';
import { ConfigError } from '../functions/shared/config/config-validator.js';
import { deployabilityIssues } from './deployable-config.js';

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
 * Load and validate a configuration file with the functions' own schema, and refuse what
 * only works locally (`insecureLoopbackHttp`, loopback or plain-http URLs): whatever app
 * loads it is about to deploy it. Throws a `ConfigError` that names the field path of every
 * problem.
 */
export function loadGatepassConfig(file: string): GatepassConfigSource {
  const path = resolve(file);
  const config = loadConfigFile(path);
  const undeployable = deployabilityIssues(config);
  if (undeployable.length > 0) throw new ConfigError(undeployable, `configuration file ${path} for a deployment`);
  return { file: path, config };
}
