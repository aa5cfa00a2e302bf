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
import { parseArgs } from 'node:util';
import type { DemoToken } from './demo-tokens.js';
import { refreshEventTokens } from './event-tokens.js';
import { FunctionLogs } from './function-logs.js';
import { LocalFunction } from './lambda-environment.js';
import { LambdaFunction } from './lambda-function.js';
import { NoLocalStackError, readState, stateFilePath } from './local-state.js';

const USAGE = `usage: npm run invoke -- <authorizer|exchange> <event file> [--quiet]
  e.g. npm run invoke -- authorizer events/authorizer.http-api-v2.json
  needs a running local stack (npm start); --quiet leaves the function's log lines out`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { quiet: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } }, allowPositionals: true });
  const [fn, file] = positionals;
  if (values.help || !fn || !file || positionals.length !== 2 || !Object.values(LocalFunction).includes(fn as LocalFunction)) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const state = readState(stateFilePath());
  const event = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const { event: refreshed, minted } = await refreshEventTokens(event, async (request) => {
    const query = new URLSearchParams({ issuer: request.issuer, scope: request.scope.join(' ') });
    if (request.subject !== undefined) query.set('sub', request.subject);
    if (request.expired) query.set('expired', 'true');
    let response: Response;
    try {
      response = await fetch(`${state.control}/token?${query}`);
    } catch {
      throw new NoLocalStackError(stateFilePath());
    }
    const answer = (await response.json()) as { access_token: string; issuer: DemoToken['issuer']; expires_at: number; how: DemoToken['how']; error?: string };
    if (!response.ok) throw new Error(`the local stack refused a token: ${answer.error ?? response.status}`);
    return { token: answer.access_token, issuer: answer.issuer, expiresAt: answer.expires_at, how: answer.how };
  });
  if (minted.length > 0) console.error(`[invoke] ${minted.length} fresh token(s): ${minted.map((t) => `${t.issuer} (${t.how})`).join(', ')}`);

  const target = state.functions[fn as LocalFunction];
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
    console.error(error instanceof Error && error.name !== 'Error' ? error.message : error);
    process.exit(1);
  },
);
