import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../../scripts/local/local-state.js';

/**
 * Every `cdk …` npm script passes only options its subcommand knows: the CLI warns
 * "Unknown option(s): --all. These will be ignored." and goes on, so a wrong flag is silent.
 * The local aws-cdk's `<subcommand> --help` (offline, no app run) is the reference. `cdk diff`
 * has no --all: with no stack named it compares every top-level stack
 * (selectTopLevelOrMatchingStacks in node_modules/aws-cdk/lib/cli/cdk-toolkit.js).
 */

const run = promisify(execFile);
const scripts = (JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** `[subcommand, flags]` of a script that runs `cdk <subcommand> …`, environment assignments skipped. */
function cdkInvocation(command: string): { subcommand: string; flags: string[] } | undefined {
  const words = command.split(/\s+/).filter((word) => !/^[A-Z_]+=/.test(word));
  if (words[0] !== 'cdk' || !words[1] || words[1].startsWith('-')) return undefined;
  return { subcommand: words[1], flags: words.slice(2).filter((word) => word.startsWith('-')).map((flag) => flag.split('=')[0]!) };
}

const cdkScripts = Object.entries(scripts).flatMap(([name, command]) => {
  const invocation = cdkInvocation(command);
  return invocation ? [{ name, ...invocation }] : [];
});

describe('cdk npm scripts', () => {
  it('include diff and deploy', () => {
    expect(cdkScripts.map((s) => s.name)).toEqual(expect.arrayContaining(['diff', 'deploy']));
  });

  it.each(cdkScripts)('npm run $name passes only flags that its cdk subcommand lists in --help', async ({ subcommand, flags }) => {
    const { stdout } = await run(join(REPOSITORY_ROOT, 'node_modules/.bin/cdk'), [subcommand, '--help'], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
      timeout: 30_000,
    });
    const listed = new Set([...stdout.matchAll(/(?<=^|[\s,])--[a-z][a-z0-9-]*/gm)].map(([flag]) => flag));
    // yargs negates any boolean: --no-notices is --notices [boolean]
    const known = (flag: string) => listed.has(flag) || (flag.startsWith('--no-') && listed.has(`--${flag.slice(5)}`));
    expect(flags.filter((flag) => !known(flag))).toEqual([]);
  });
});
