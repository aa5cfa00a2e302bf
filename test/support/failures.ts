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
