import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLambdaNode, LAMBDA_NODE_MAJOR } from '../../../scripts/lambda-node.js';

const root = new URL('../../../', import.meta.url).pathname;
const resolver = join(root, 'scripts/lambda-node.sh');
const scratch = mkdtempSync(join(tmpdir(), 'gatepass-lambda-node-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A stand-in `node` that answers lambda-node.sh's `-p` probe and `--version` as the given version would. */
function fakeNode(path: string, version: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; else echo "${version} $0"; fi\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Runs the resolver with only `bin` on PATH (no system node, no npm) and the cache in `cache`. */
function resolve(env: { bin: string; cache: string; explicit?: string }) {
  const run = spawnSync('/bin/bash', [resolver], {
    encoding: 'utf8',
    env: { PATH: env.bin, HOME: scratch, GATEPASS_NODE_CACHE: env.cache, ...(env.explicit ? { GATEPASS_LAMBDA_NODE: env.explicit } : {}) },
  });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

describe('scripts/lambda-node.sh: the Node.js binary of Lambda’s major version', () => {
  const oldBin = join(scratch, 'old-bin');
  fakeNode(join(oldBin, 'node'), 'v20.20.2');

  it('uses the copy an earlier run installed in the cache, without installing again', () => {
    const cache = join(scratch, 'cache-hit');
    const cached = fakeNode(join(cache, `node${LAMBDA_NODE_MAJOR}/node_modules/node/bin/node`), `v${LAMBDA_NODE_MAJOR}.99.0`);
    expect(resolve({ bin: oldBin, cache })).toEqual({ status: 0, stdout: cached, stderr: '' });
  });

  it('uses the node on PATH when it already is that version (nvm use)', () => {
    const bin = join(scratch, 'new-bin');
    const onPath = fakeNode(join(bin, 'node'), `v${LAMBDA_NODE_MAJOR}.1.0`);
    expect(resolve({ bin, cache: join(scratch, 'cache-unused') })).toEqual({ status: 0, stdout: onPath, stderr: '' });
  });

  it('refuses an explicit GATEPASS_LAMBDA_NODE of another version, saying so', () => {
    const run = resolve({ bin: oldBin, cache: join(scratch, 'cache-unused'), explicit: join(oldBin, 'node') });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`lambda-node: GATEPASS_LAMBDA_NODE=${join(oldBin, 'node')} is not a Node.js ${LAMBDA_NODE_MAJOR} binary`);
  });

  it('fails loudly, not silently, when there is nothing to use and no npm to install with', () => {
    const run = resolve({ bin: oldBin, cache: join(scratch, 'cache-empty') });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`lambda-node: no Node.js ${LAMBDA_NODE_MAJOR} on PATH`);
  });
});

describe('findLambdaNode (npm start, npm run bench)', () => {
  it('passes on the resolver’s own one-line reason when it fails', async () => {
    const explicit = fakeNode(join(scratch, 'explicit/node'), 'v22.0.0');
    await expect(findLambdaNode({ ...process.env, GATEPASS_LAMBDA_NODE: explicit })).resolves.toEqual({
      ok: false,
      reason: `GATEPASS_LAMBDA_NODE=${explicit} is not a Node.js ${LAMBDA_NODE_MAJOR} binary`,
    });
  });

  it('returns its version with the binary', async () => {
    const explicit = fakeNode(join(scratch, 'explicit24/node'), `v${LAMBDA_NODE_MAJOR}.2.3`);
    await expect(findLambdaNode({ ...process.env, GATEPASS_LAMBDA_NODE: explicit })).resolves.toEqual({ ok: true, node: { execPath: explicit, version: `v${LAMBDA_NODE_MAJOR}.2.3` } });
  });

  it('GATEPASS_LAMBDA_NODE=current (set for the tests) skips the lookup', async () => {
    await expect(findLambdaNode({ GATEPASS_LAMBDA_NODE: 'current' })).resolves.toEqual({ ok: true, node: { execPath: process.execPath, version: process.version } });
  });
});

describe('one Node.js major version everywhere', () => {
  it('the resolver, .nvmrc, the stack’s runtime and the local Lambda environment agree', () => {
    const read = (path: string) => readFileSync(join(root, path), 'utf8');
    expect(read('scripts/lambda-node.sh')).toContain(`\nLAMBDA_NODE_MAJOR=${LAMBDA_NODE_MAJOR}\n`);
    expect(read('.nvmrc').trim()).toBe(String(LAMBDA_NODE_MAJOR));
    expect(read('infra/constructs/gatepass-functions.ts')).toContain(`Runtime.NODEJS_${LAMBDA_NODE_MAJOR}_X`);
    expect(read('scripts/local/lambda-environment.ts')).toContain(`AWS_Lambda_nodejs${LAMBDA_NODE_MAJOR}.x`);
  });
});
