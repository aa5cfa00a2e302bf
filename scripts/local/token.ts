/**
 * `npm run token -- --scope orders:read`: a fresh demo token from the running local stack
 * (`npm start`, found through its state file), printed alone on stdout so that
 * `TOKEN=$(npm run -s token -- ...)` works. See demo-tokens.ts for the options.
 */
import { parseTokenArgs, TOKEN_USAGE, TokenArgsError } from './demo-tokens.js';
import { requestDemoToken } from './control-client.js';
import { LocalStateError } from './local-state.js';

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
  const result = await requestDemoToken(request);
  if (!result.ok) {
    console.error(`the local stack refused: ${result.error}`);
    return 1;
  }
  console.log(request.json ? JSON.stringify(result.answer) : result.answer.access_token);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof LocalStateError ? error.message : error);
    process.exit(1);
  },
);
