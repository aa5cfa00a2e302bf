import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * The repository's scripts answer their command line the same way, before any work: `--help`
 * (or `-h`) prints the usage on stdout and exits 0; an unknown option or a bad argument prints
 * what is wrong and the usage on stderr and exits 2. `check` returns what is wrong, if anything.
 */
export function parseCommandLine<const T extends ParseArgsConfig>(
  usage: string,
  config: T,
  check: (parsed: ReturnType<typeof parseArgs<T>>) => string | undefined = () => undefined,
): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  let problem: string | undefined;
  try {
    const parsed = parseArgs<T>({ strict: true, ...config, args } as T);
    problem = check(parsed);
    if (problem === undefined) return parsed;
  } catch (error) {
    problem = (error as Error).message;
  }
  console.error(`${problem}\n${usage}`);
  process.exit(2);
}

/** A mistake in what the user gave a script (a file, a value): its message is the whole story, printed alone, no stack trace. */
export class CommandInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandInputError';
  }
}
