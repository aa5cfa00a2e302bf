import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The Node.js binary of Lambda's major version, for npm start's containers and npm run bench.
 * lambda-node.sh owns the lookup and the one-time install (.ci/run calls it too, before
 * node_modules exist, hence bash); this module only asks it and reads the version.
 */
export const LAMBDA_NODE_MAJOR = 24;

const RESOLVER = fileURLToPath(new URL('./lambda-node.sh', import.meta.url));
const run = promisify(execFile);

export interface LambdaNode {
  /** Absolute path of the binary. */
  readonly execPath: string;
  /** `process.version` of that binary, e.g. `v24.21.0`. */
  readonly version: string;
}

export type LambdaNodeLookup = { readonly ok: true; readonly node: LambdaNode } | { readonly ok: false; readonly reason: string };

/**
 * Finds (or installs once) Node.js 24; never throws: a failure says why in one line.
 * GATEPASS_LAMBDA_NODE=current skips the lookup: the tests run the containers on the Node that
 * runs them, so CI's two passes (Node 24 and the Node 20 floor) cover both.
 */
export async function findLambdaNode(env: NodeJS.ProcessEnv = process.env): Promise<LambdaNodeLookup> {
  const explicit = env['GATEPASS_LAMBDA_NODE'];
  const currentIsLambdas = process.versions.node.split('.')[0] === String(LAMBDA_NODE_MAJOR);
  if (explicit === 'current' || (!explicit && currentIsLambdas)) {
    return { ok: true, node: { execPath: process.execPath, version: process.version } };
  }
  try {
    const { stdout } = await run('bash', [RESOLVER], { env, encoding: 'utf8', timeout: 300_000 });
    const execPath = stdout.trim();
    const { stdout: version } = await run(execPath, ['--version'], { encoding: 'utf8' });
    return { ok: true, node: { execPath, version: version.trim() } };
  } catch (error) {
    // The resolver's own last line says what to do; npm's error block above it does not.
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    const reason = stderr.split('\n').reverse().find((line) => line.startsWith('lambda-node: '));
    return { ok: false, reason: reason?.slice('lambda-node: '.length) ?? (error as Error).message.split('\n')[0]! };
  }
}

