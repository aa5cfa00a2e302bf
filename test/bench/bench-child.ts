import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs a measurement in its own Node process, so that
 * - its CPU figures (process.cpuUsage) hold only its own work: the servers it talks to
 *   (dynalite, oidc-provider, the echo upstream) run in the parent;
 * - its stdout is /dev/null: the Powertools log and EMF lines are really written, as in
 *   Lambda, but cost nothing to read and never mix with the bench's table;
 * - a fresh V8 heap and JIT state for each section.
 * The child gets its input and returns its result over the IPC channel.
 */

interface ChildAnswer {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

export interface ChildOptions {
  /** Extra environment for the child (on top of the parent's). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kills the child after this long. Default 120 s. */
  readonly timeoutMs?: number;
}

export function runInChild<T>(entry: URL, input: unknown, options: ChildOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(fileURLToPath(entry), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...options.env },
      // stdin and stdout to /dev/null, stderr shared (a crash must be visible), IPC
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let answer: ChildAnswer | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('message', (message: ChildAnswer) => {
      answer = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.ok) resolve(answer.result as T);
      else reject(new Error(`bench child ${entry.pathname.split('/').pop()} failed (${answer?.error ?? `exit ${code ?? signal}`})`));
    });
    child.send({ input });
  });
}

/** The child's side: waits for the input, runs, answers, exits. */
export function childMain<I, O>(run: (input: I) => Promise<O>): void {
  process.once('message', (message: { input: I }) => {
    run(message.input).then(
      (result) => process.send!({ ok: true, result } satisfies ChildAnswer, () => process.exit(0)),
      (error: unknown) => {
        const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
        process.send!({ ok: false, error: text } satisfies ChildAnswer, () => process.exit(1));
      },
    );
  });
}
