/**
 * What runs inside a local "Lambda container" (one child process per container), in the
 * role of the Lambda Node.js runtime: it imports the bundled handler from
 * LAMBDA_TASK_ROOT once (the init phase: module scope and top-level await run here),
 * then answers invocations one at a time over the IPC channel of its parent, the local
 * gateway's LambdaFunction. Compiled by esbuild next to the bundles (see
 * function-bundles.ts), so the container runs plain JavaScript, as Lambda does.
 *
 * Messages: parent → child `{type: 'invoke', id, requestId, event, deadline}`;
 * child → parent `{type: 'ready', initMs}`, `{type: 'init-error', error}`,
 * `{type: 'result', id, result}`, `{type: 'error', id, error}` where `error` is Lambda's
 * error payload `{errorType, errorMessage}`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
}

export type ParentMessage = { readonly type: 'invoke'; readonly id: number; readonly requestId: string; readonly event: unknown; readonly deadline: number };

export type ContainerMessage =
  | { readonly type: 'ready'; readonly initMs: number }
  | { readonly type: 'init-error'; readonly error: LambdaErrorPayload }
  | { readonly type: 'result'; readonly id: number; readonly result: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: LambdaErrorPayload };

type Handler = (event: unknown, context: Record<string, unknown>) => Promise<unknown>;

function send(message: ContainerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

function errorPayload(error: unknown): LambdaErrorPayload {
  if (error instanceof Error) return { errorType: error.name || 'Error', errorMessage: error.message };
  return { errorType: typeof error, errorMessage: String(error) };
}

/** Lambda's Node.js runtime log line for a failed invocation (it goes to the function's log). */
function logInvokeError(requestId: string, error: unknown): void {
  const payload = errorPayload(error);
  const stack = error instanceof Error && error.stack ? error.stack.split('\n') : [];
  process.stderr.write(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({ ...payload, stack })}\n`);
}

async function loadHandler(): Promise<Handler> {
  const taskRoot = process.env['LAMBDA_TASK_ROOT'] ?? process.cwd();
  const [moduleName = 'index', exportName = 'handler'] = (process.env['_HANDLER'] ?? 'index.handler').split('.');
  const file = ['.mjs', '.js', '.cjs'].map((ext) => join(taskRoot, `${moduleName}${ext}`)).find((candidate) => existsSync(candidate));
  if (!file) throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: 'Runtime.ImportModuleError' });
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const handler = module[exportName];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${moduleName}.${exportName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return handler as Handler;
}

function contextFor(requestId: string, deadline: number): Record<string, unknown> {
  const env = process.env;
  const functionName = env['AWS_LAMBDA_FUNCTION_NAME'] ?? 'function';
  return {
    awsRequestId: requestId,
    functionName,
    functionVersion: env['AWS_LAMBDA_FUNCTION_VERSION'] ?? '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${env['AWS_REGION'] ?? 'us-east-1'}:123456789012:function:${functionName}`,
    memoryLimitInMB: env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] ?? '512',
    logGroupName: env['AWS_LAMBDA_LOG_GROUP_NAME'] ?? '',
    logStreamName: env['AWS_LAMBDA_LOG_STREAM_NAME'] ?? '',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function main(): Promise<void> {
  // Terminal signals reach the whole process group; the parent decides when a container
  // stops (and a container whose parent is gone stops at once: no orphans).
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(0));

  const started = performance.now();
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    logInvokeError('init', error);
    await send({ type: 'init-error', error: errorPayload(error) });
    process.exit(1);
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'invoke') return;
    void (async () => {
      try {
        const result = await handler(message.event, contextFor(message.requestId, message.deadline));
        await send({ type: 'result', id: message.id, result: result === undefined ? null : result });
      } catch (error) {
        logInvokeError(message.requestId, error);
        await send({ type: 'error', id: message.id, error: errorPayload(error) });
      }
    })();
  });
  await send({ type: 'ready', initMs: performance.now() - started });
}

void main();
