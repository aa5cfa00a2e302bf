import { GatepassError } from '../../functions/shared/errors.js';

/** The GatepassError a call rejects with; anything else (another error, or success) fails the test. */
export async function gatepassFailure(promise: Promise<unknown>): Promise<GatepassError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatepassError) return error;
    throw error;
  }
  throw new Error('expected a GatepassError, the call succeeded');
}

/** The code of the GatepassError a synchronous call throws, or undefined when it returns; any other error fails the test. */
export function refusalCodeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof GatepassError) return error.code;
    throw error;
  }
  return undefined;
}
