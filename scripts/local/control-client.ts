import type { DemoToken, DemoTokenRequest } from './demo-tokens.js';
import { NoLocalStackError, readState, stateFilePath } from './local-state.js';

/** What the control endpoint's `GET /token` answers (control-server.ts). */
export interface ControlTokenAnswer {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly issuer: DemoToken['issuer'];
  readonly expires_at: number;
  readonly how: DemoToken['how'];
}

export type ControlTokenResult = { readonly ok: true; readonly answer: ControlTokenAnswer } | { readonly ok: false; readonly error: string };

/**
 * Asks the running local stack (found through its state file) for a fresh demo token: the
 * one client of the control endpoint's `/token`, for `npm run token` and `npm run invoke`.
 * No stack answering is a NoLocalStackError; a refusal is `{ ok: false }` with its reason.
 */
export async function requestDemoToken(request: DemoTokenRequest): Promise<ControlTokenResult> {
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
  let answer: Partial<ControlTokenAnswer> & { readonly error?: string };
  try {
    answer = (await response.json()) as typeof answer;
  } catch {
    // Not the control endpoint's JSON: the state file points at something else (a stack long gone).
    throw new NoLocalStackError(stateFilePath());
  }
  if (!response.ok || !answer.access_token) return { ok: false, error: String(answer.error ?? response.status) };
  return { ok: true, answer: answer as ControlTokenAnswer };
}

/** The demo MCP client's registration, from the running stack's control endpoint (`GET /mcp-client`). */
export async function requestMcpClientCredentials(): Promise<{ clientId: string; clientSecret: string; issuer: string; scope: string }> {
  const state = readState(stateFilePath());
  let answer: { client_id?: unknown; client_secret?: unknown; issuer?: unknown; scope?: unknown };
  try {
    answer = (await (await fetch(`${state.control}/mcp-client`)).json()) as typeof answer;
  } catch {
    throw new NoLocalStackError(stateFilePath());
  }
  const { client_id: clientId, client_secret: clientSecret, issuer, scope } = answer;
  // A stack started before the MCP demo existed answers 404 JSON: as good as no stack for this.
  if (typeof clientId !== 'string' || typeof clientSecret !== 'string' || typeof issuer !== 'string' || typeof scope !== 'string') {
    throw new NoLocalStackError(stateFilePath());
  }
  return { clientId, clientSecret, issuer, scope };
}
