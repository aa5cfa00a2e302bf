/**
 * `npm run token -- --scope orders:read`: a fresh demo token from the running local stack
 * (`npm start`, found through its state file), printed alone on stdout so that
 * `TOKEN=$(npm run -s token -- ...)` works. See demo-tokens.ts for the options.
 */
import { parseTokenArgs, TOKEN_USAGE, TokenArgsError } from './demo-tokens.js';
import { LocalStateError, NoLocalStackError, readState, stateFilePath } from './local-state.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(TOKEN_USAGE);
    return 0;
  }
  let request;
  try {
    request = parseTokenArgs(args);
  } catch (error) {
    if (error instanceof TokenArgsError) {
      console.error(`${error.message}\n${TOKEN_USAGE}`);
      return 2;
    }
    throw error;
  }
  const state = readState(stateFilePath());
  const query = new URLSearchParams({ issuer: request.issuer });
  if (request.scope.length > 0) query.set('scope', request.scope.join(' '));
  if (request.subject !== undefined) query.set('sub', request.subject);
  if (request.expired) query.set('expired', 'true');
  let response: Response;
  try {
    response = await fetch(`${state.control}/token?${query}`);
  } catch {
    throw new NoLocalStackError(stateFilePath());
  }
  const answer = (await response.json()) as { access_token?: string; error?: string };
  if (!response.ok || !answer.access_token) {
    console.error(`the local stack refused: ${answer.error ?? response.status}`);
    return 1;
  }
  console.log(request.json ? JSON.stringify(answer) : answer.access_token);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof LocalStateError ? error.message : error);
    process.exit(1);
  },
);
