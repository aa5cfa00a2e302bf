/**
 * `npm run invoke -- <authorizer|exchange> <event file>`: runs one function's handler on
 * a sample event, against the running local stack (`npm start` in another terminal: its
 * IdPs validate the tokens, its DynamoDB and Secrets Manager serve the function). Like
 * `sam local invoke`: a fresh container (a new process, so a cold start) with the
 * environment the stack's own containers have; its log lines go to stderr, the handler's
 * result (or Lambda's error payload `{errorType, errorMessage}`) to stdout as JSON.
 * Tokens in the event are refreshed first (event-tokens.ts).
 */
import { readFileSync } from 'node:fs';
import { CommandInputError, parseCommandLine } from '../command-line.js';
import { requestDemoToken } from './control-client.js';
import { refreshEventTokens } from './event-tokens.js';
import { FunctionLogs } from './function-logs.js';
import { LocalFunction } from './lambda-environment.js';
import { LambdaFunction } from './lambda-function.js';
import { LocalStateError, readState, stateFilePath } from './local-state.js';

const USAGE = `usage: npm run invoke -- <authorizer|exchange> <event file> [--quiet]
  e.g. npm run invoke -- authorizer events/authorizer.http-api-v2.json
  needs a running local stack (npm start); --quiet leaves the function's log lines out`;

function readEvent(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CommandInputError(`no event file ${file}: pass the path of a JSON event, such as one of the samples in events/ (events/authorizer.http-api-v2.json)`);
    throw new CommandInputError(`cannot read the event file ${file} (${code ?? (error as Error).message}): pass a readable JSON event file`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not the parser's message: it quotes the file's text, which may hold a token.
    throw new CommandInputError(`the event file ${file} is not JSON: pass a JSON event, such as one of the samples in events/`);
  }
}

const isLocalFunction = (name: string | undefined): name is LocalFunction => Object.values(LocalFunction).includes(name as LocalFunction);

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine(USAGE, { options: { quiet: { type: 'boolean', default: false } }, allowPositionals: true }, ({ positionals }) =>
    positionals.length === 2 && isLocalFunction(positionals[0]) ? undefined : 'pass the function (authorizer or exchange) and one event file',
  );
  const [fn, file] = positionals as [LocalFunction, string];
  // The event first: a wrong path is reported whether or not a stack is running.
  const event = readEvent(file);
  const state = readState(stateFilePath());
  const { event: refreshed, minted } = await refreshEventTokens(event, async (request) => {
    const result = await requestDemoToken(request);
    if (!result.ok) throw new CommandInputError(`the local stack refused a token: ${result.error}`);
    const { access_token: token, issuer, expires_at: expiresAt, how } = result.answer;
    return { token, issuer, expiresAt, how };
  });
  if (minted.length > 0) console.error(`[invoke] ${minted.length} fresh token(s): ${minted.map((t) => `${t.issuer} (${t.how})`).join(', ')}`);

  const target = state.functions[fn];
  const logs = new FunctionLogs(target.name, values.quiet ? {} : { mirror: process.stderr });
  const lambda = new LambdaFunction({ ...target, logs, maxContainers: 1 });
  try {
    const outcome = await lambda.invoke(refreshed);
    console.log(JSON.stringify(outcome.ok ? outcome.result : outcome.error, null, 2));
    return 0;
  } finally {
    await lambda.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // What the user can fix is one line; anything else is a defect here, so its stack trace helps.
    console.error(error instanceof LocalStateError || error instanceof CommandInputError ? error.message : error);
    process.exit(1);
  },
);
