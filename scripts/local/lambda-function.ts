import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { FunctionLogs } from './function-logs.js';
import type { ContainerMessage, LambdaErrorPayload, ParentMessage } from './lambda-runtime.js';

export type { LambdaErrorPayload } from './lambda-runtime.js';

/**
 * A Lambda function run locally the way Lambda runs it: each container is its own child
 * process (`node lambda-runtime.mjs`, cwd the bundle, exactly the function's environment
 * variables and nothing inherited), initialised on its first invocation (a cold start:
 * module scope and top-level await run then), reused while warm, one invocation at a
 * time. Concurrent invocations start more containers, up to `maxContainers`; beyond that
 * they wait. A timed-out invocation kills its container, as Lambda resets the sandbox.
 * `restart()` ends every container, so the next invocation is a cold start in a new
 * process with empty in-memory caches.
 */
export interface LambdaFunctionOptions {
  /** The Lambda function name (AWS_LAMBDA_FUNCTION_NAME). */
  readonly name: string;
  /** The bundle folder (LAMBDA_TASK_ROOT): `index.mjs` and the configuration file. */
  readonly taskRoot: string;
  /** The compiled lambda-runtime.mjs. */
  readonly runtimeFile: string;
  /** The Node.js binary the containers run (npm start: Node 24, as Lambda's nodejs24.x); default this process's. */
  readonly nodeExecPath?: string;
  /** The container's whole environment. */
  readonly environment: Readonly<Record<string, string>>;
  /** Invocation timeout (the function's configured timeout). */
  readonly timeoutSeconds: number;
  /** Lambda's init phase limit; default 10 s. */
  readonly initTimeoutSeconds?: number;
  /** Containers at most; default 4. */
  readonly maxContainers?: number;
  readonly logs: FunctionLogs;
}

export type InvokeOutcome = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: LambdaErrorPayload };

export interface FunctionInvoker {
  invoke(event: unknown): Promise<InvokeOutcome>;
}

interface PendingInvocation {
  readonly requestId: string;
  readonly resolve: (outcome: InvokeOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

class Container {
  readonly child: ChildProcess;
  readonly ready: Promise<{ initMs: number } | { error: LambdaErrorPayload }>;
  readonly exited: Promise<void>;
  busy = true;
  alive = true;
  #nextId = 1;
  readonly #pending = new Map<number, PendingInvocation>();

  constructor(private readonly options: LambdaFunctionOptions) {
    this.child = fork(options.runtimeFile, [], {
      cwd: options.taskRoot,
      env: { ...options.environment },
      execPath: options.nodeExecPath ?? process.execPath,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => options.logs.write(line));
    }
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.ready = new Promise((resolve) => {
      const initTimer = setTimeout(() => {
        resolve({ error: { errorType: 'Runtime.InitTimeout', errorMessage: `init did not finish within ${options.initTimeoutSeconds ?? 10} s` } });
        this.child.kill('SIGKILL');
      }, (options.initTimeoutSeconds ?? 10) * 1000);
      this.child.on('message', (message: ContainerMessage) => {
        if (message.type === 'ready') {
          clearTimeout(initTimer);
          resolve({ initMs: message.initMs });
        } else if (message.type === 'init-error') {
          clearTimeout(initTimer);
          resolve({ error: message.error });
        } else {
          this.#settle(message.id, message.type === 'result' ? { ok: true, result: message.result } : { ok: false, error: message.error });
        }
      });
      this.child.once('exit', (code, signal) => {
        clearTimeout(initTimer);
        this.alive = false;
        const how = signal ? `signal ${signal}` : `exit status ${code ?? 0}`;
        resolve({ error: { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${how}` } });
        for (const [id, pending] of this.#pending) {
          this.#settle(id, { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${pending.requestId} Error: Runtime exited with error: ${how}` } });
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(event: unknown, requestId: string): Promise<InvokeOutcome> {
    const id = this.#nextId++;
    const timeoutMs = this.options.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.options.logs.write(`${new Date().toISOString()} ${requestId} Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds`);
        // the sandbox is reset: this container takes no further invocation
        this.alive = false;
        this.child.kill('SIGKILL');
        this.#settle(id, { ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds` } });
      }, timeoutMs);
      this.#pending.set(id, { requestId, resolve, timer });
      const message: ParentMessage = { type: 'invoke', id, requestId, event, deadline: Date.now() + timeoutMs };
      this.child.send(message, (error) => {
        if (error) this.#settle(id, { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: ${error.message}` } });
      });
    });
  }

  #settle(id: number, outcome: InvokeOutcome): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  /** Ends the process (SIGTERM, then SIGKILL after `graceMs`) and waits for it. */
  async kill(graceMs = 2000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export class LambdaFunction implements FunctionInvoker {
  readonly #containers: Container[] = [];
  readonly #waiting: ((container: Container | undefined) => void)[] = [];
  #stopped = false;
  #invocations = 0;
  #coldStarts = 0;

  constructor(readonly options: LambdaFunctionOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** Invocations so far (cold or warm). */
  get invocations(): number {
    return this.#invocations;
  }

  /** Containers started so far. */
  get coldStarts(): number {
    return this.#coldStarts;
  }

  /** Process ids of the live containers. */
  pids(): number[] {
    return this.#containers.flatMap((c) => (c.alive && c.pid !== undefined ? [c.pid] : []));
  }

  async invoke(event: unknown): Promise<InvokeOutcome> {
    this.#invocations += 1;
    const requestId = randomUUID();
    const acquired = await this.#acquire();
    if ('error' in acquired) return { ok: false, error: acquired.error };
    const { container, initMs } = acquired;
    const logs = this.options.logs;
    const started = performance.now();
    logs.write(`START RequestId: ${requestId} Version: $LATEST`);
    try {
      return await container.run(event, requestId);
    } finally {
      const duration = performance.now() - started;
      logs.write(`END RequestId: ${requestId}`);
      logs.write(
        `REPORT RequestId: ${requestId}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${Math.ceil(duration)} ms\tMemory Size: ${this.options.environment['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] ?? '?'} MB` +
          (initMs === undefined ? '' : `\tInit Duration: ${initMs.toFixed(2)} ms`),
      );
      this.#release(container);
    }
  }

  /** Ends every container; the next invocation starts a new process (a cold start). */
  async restart(): Promise<void> {
    const containers = this.#containers.splice(0);
    await Promise.all(containers.map((c) => c.kill()));
  }

  /** Ends every container and refuses further invocations. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#waiting.splice(0)) wake(undefined);
    await this.restart();
  }

  async #acquire(): Promise<{ container: Container; initMs?: number } | { error: LambdaErrorPayload }> {
    for (;;) {
      if (this.#stopped) return { error: { errorType: 'Runtime.Stopped', errorMessage: `function ${this.name} is stopped` } };
      this.#prune();
      const idle = this.#containers.find((c) => !c.busy && c.alive);
      if (idle) {
        idle.busy = true;
        return { container: idle };
      }
      if (this.#containers.length < (this.options.maxContainers ?? 4)) {
        const container = new Container(this.options);
        this.#containers.push(container);
        this.#coldStarts += 1;
        const ready = await container.ready;
        if ('error' in ready) {
          this.#remove(container);
          await container.kill();
          return { error: ready.error };
        }
        return { container, initMs: ready.initMs };
      }
      const released = await new Promise<Container | undefined>((resolve) => this.#waiting.push(resolve));
      if (released) return { container: released };
    }
  }

  #release(container: Container): void {
    if (!container.alive || !this.#containers.includes(container)) {
      this.#remove(container);
      // a container died: a waiting invocation may start a new one
      this.#waiting.shift()?.(undefined);
      return;
    }
    const next = this.#waiting.shift();
    if (next) next(container);
    else container.busy = false;
  }

  #prune(): void {
    for (const container of this.#containers.filter((c) => !c.alive)) this.#remove(container);
  }

  #remove(container: Container): void {
    const index = this.#containers.indexOf(container);
    if (index !== -1) this.#containers.splice(index, 1);
  }
}
