import { tokenIdOf } from '../../functions/shared/token-id.js';
import { DEMO_ISSUERS, type DemoIssuer, type DemoToken, type DemoTokenRequest } from './demo-tokens.js';
import { isJsonObject } from './json-object.js';

/**
 * Sample events hold no real tokens (a real one would expire in the repository). Before
 * `npm run invoke` runs a handler on a sample, every token in it is replaced by a fresh
 * demo token from the running local stack:
 *
 * - a marker `{{token:<issuer> scope=<scopes> [sub=<subject>] [expired]}}` (scopes joined
 *   with `+` or `,`), each distinct marker by one token wherever it appears;
 * - in proxy events, `{{tokenId}}` and `{{expiresAt}}` in the authorizer context by the
 *   bearer token's tokenId and expiry, as the authorizer would have set them;
 * - a placeholder bearer token (`placeholder-...`) whose context `tokenId` is the
 *   placeholder's: by a token of the context's `issuer` with the context's `scope`, and
 *   the context's `tokenId` and `expiresAt` updated to match.
 */
export type MintDemoToken = (request: DemoTokenRequest) => Promise<DemoToken>;

const MARKER = /\{\{token:([a-z]+)((?:\s+[a-z]+(?:=[^\s}]*)?)*)\s*\}\}/g;

export class EventTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventTokenError';
  }
}

/** The token request a marker stands for. */
export function parseMarker(marker: string): DemoTokenRequest {
  MARKER.lastIndex = 0;
  const match = MARKER.exec(marker);
  MARKER.lastIndex = 0;
  if (!match) throw new EventTokenError(`not a token marker: ${marker}`);
  const issuer = match[1]!;
  if (!DEMO_ISSUERS.includes(issuer as DemoIssuer)) throw new EventTokenError(`marker ${marker}: the local stack has no issuer ${issuer} (${DEMO_ISSUERS.join(', ')})`);
  let scope: string[] = [];
  let subject: string | undefined;
  let expired = false;
  for (const option of match[2]!.trim().split(/\s+/).filter(Boolean)) {
    const [name, value = ''] = option.split('=', 2) as [string, string?];
    if (name === 'scope') scope = value.split(/[+,]/).filter(Boolean);
    else if (name === 'sub') subject = value;
    else if (name === 'expired') expired = true;
    else throw new EventTokenError(`marker ${marker}: unknown option ${name}`);
  }
  return { issuer: issuer as DemoIssuer, scope, ...(subject !== undefined ? { subject } : {}), expired };
}

/** The authorizer context of a proxy event (v2: authorizer.lambda; v1: authorizer), if any. */
function contextOf(event: Record<string, unknown>): Record<string, unknown> | undefined {
  const rc = event['requestContext'];
  if (!isJsonObject(rc) || !isJsonObject(rc['authorizer'])) return undefined;
  const authorizer = rc['authorizer'];
  if (event['version'] === '2.0') return isJsonObject(authorizer['lambda']) ? authorizer['lambda'] : undefined;
  return 'tokenId' in authorizer ? authorizer : undefined;
}

function bearerOf(event: Record<string, unknown>): string | undefined {
  const headers = event['headers'];
  if (!isJsonObject(headers)) return undefined;
  const value = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  return typeof value === 'string' ? /^Bearer\s+(\S+)$/i.exec(value)?.[1] : undefined;
}

export interface RefreshedEvent {
  readonly event: unknown;
  /** Tokens minted, in order of appearance. */
  readonly minted: readonly DemoToken[];
}

export async function refreshEventTokens(event: unknown, mint: MintDemoToken): Promise<RefreshedEvent> {
  let text = JSON.stringify(event);
  const minted: DemoToken[] = [];
  const byValue = new Map<string, DemoToken>();
  for (const marker of new Set(text.match(MARKER) ?? [])) {
    const token = await mint(parseMarker(marker));
    minted.push(token);
    byValue.set(token.token, token);
    text = text.split(marker).join(token.token);
  }
  let refreshed = JSON.parse(text) as unknown;
  if (!isJsonObject(refreshed)) return { event: refreshed, minted };

  let context = contextOf(refreshed);
  let bearer = bearerOf(refreshed);
  if (context && bearer?.startsWith('placeholder-') && context['tokenId'] === tokenIdOf(bearer)) {
    const issuer = String(context['issuer']);
    if (!DEMO_ISSUERS.includes(issuer as DemoIssuer)) throw new EventTokenError(`the sample's issuer ${issuer} is not one of the local stack's (${DEMO_ISSUERS.join(', ')})`);
    const token = await mint({ issuer: issuer as DemoIssuer, scope: String(context['scope'] ?? '').split(' ').filter(Boolean) });
    minted.push(token);
    byValue.set(token.token, token);
    refreshed = JSON.parse(JSON.stringify(refreshed).split(bearer).join(token.token)) as Record<string, unknown>;
    context = contextOf(refreshed as Record<string, unknown>)!;
    context['tokenId'] = '{{tokenId}}';
    context['expiresAt'] = '{{expiresAt}}';
    bearer = token.token;
  }
  if (context && bearer) {
    const v1 = (refreshed as Record<string, unknown>)['version'] !== '2.0';
    if (context['tokenId'] === '{{tokenId}}') context['tokenId'] = tokenIdOf(bearer);
    const expiresAt = byValue.get(bearer)?.expiresAt;
    if (context['expiresAt'] === '{{expiresAt}}' && expiresAt !== undefined) context['expiresAt'] = v1 ? String(expiresAt) : expiresAt;
  }
  return { event: refreshed, minted };
}
