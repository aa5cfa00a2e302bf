import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_STATE_FILE_ENV } from '../../functions/shared/contracts/environment-variables.js';
import type { ApiFlavour } from './gateway-events.js';
import type { LocalFunction } from './lambda-environment.js';
import type { LambdaFunctionOptions } from './lambda-function.js';

/**
 * How a second terminal finds the running local stack: `npm start` writes this small
 * JSON file (mode 0600; it holds the control URL and the functions' local environments,
 * no client secret) and removes it when it stops. `npm run token` and `npm run invoke`
 * read it. `GATEPASS_LOCAL_STATE` (LOCAL_STATE_FILE_ENV) names another file (the end-to-end
 * tests use their own).
 */

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm start` keeps its bundles, configuration, logs and state file (git-ignored). */
export const DEFAULT_LOCAL_DIR = join(REPOSITORY_ROOT, '.local', 'stack');

/** What the state file keeps of each function, so npm run invoke starts a container like the stack's own. */
export type LocalFunctionState = Pick<LambdaFunctionOptions, 'name' | 'taskRoot' | 'runtimeFile' | 'nodeExecPath' | 'environment' | 'timeoutSeconds'>;

export interface LocalStackState {
  readonly version: 1;
  readonly pid: number;
  readonly startedAt: string;
  readonly flavour: ApiFlavour;
  readonly gateway: string;
  /** The control endpoint: /token, /faults/token-endpoint/{down,up}, /functions/{name}/restart. */
  readonly control: string;
  readonly configFile: string;
  readonly functions: Readonly<Record<LocalFunction, LocalFunctionState>>;
}

/** The state file is missing or unusable: `npm run token` and `npm run invoke` print the message alone, no stack trace. */
export class LocalStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStateError';
  }
}

export class NoLocalStackError extends LocalStateError {
  constructor(file: string) {
    super(`no local stack is running (no ${file}): start one with \`npm start\` in another terminal, in this repository`);
    this.name = 'NoLocalStackError';
  }
}

export function stateFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env[LOCAL_STATE_FILE_ENV] || join(DEFAULT_LOCAL_DIR, 'state.json');
}

export function writeState(file: string, state: LocalStackState): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

export function readState(file: string): LocalStackState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new NoLocalStackError(file);
  }
  const restart = 'stop any running `npm start`, delete the file and run `npm start` again';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LocalStateError(`${file} is not JSON, so not a local stack state file: ${restart}`);
  }
  if ((parsed as Partial<LocalStackState> | null)?.version !== 1) throw new LocalStateError(`${file} is not a local stack state file this version understands: ${restart}`);
  return parsed as LocalStackState;
}

/** Removes the file if it is still this process's (a newer stack may have replaced it). */
export function removeState(file: string, pid = process.pid): void {
  try {
    if (readState(file).pid === pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}
