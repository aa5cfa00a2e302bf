import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { EntraServer, EntraUser } from '../../fakes/entra-server.js';
import type { OAuthServer } from '../../fakes/oauth-server/oauth-server.js';

/**
 * Demo tokens for the walkthrough, `npm run token` and `npm run invoke`, each from the
 * issuer that would really issue it:
 * - partner and corp: a client_credentials grant at that oidc-provider (a real OAuth
 *   token request; `sub` is the client id);
 * - with `subject` or `expired`: a token signed by that server's own key with the chosen
 *   `sub` or an `exp` two minutes in the past (beyond gatepass's default 30 s skew), which
 *   no grant would hand out;
 * - legacy: an opaque token the legacy SSO knows, answered by its RFC 7662 introspection
 *   endpoint (`active: false` once expired);
 * - entra: a signed-in user's v2.0 access token for gatepass's app, signed by the Entra-style
 *   tenant (short `scp`; `sub` sets the user's `oid`), as its auth code flow would yield it.
 */
export const DEMO_ISSUERS = ['partner', 'corp', 'legacy', 'entra'] as const;
export type DemoIssuer = (typeof DEMO_ISSUERS)[number];

export interface DemoTokenRequest {
  readonly issuer: DemoIssuer;
  readonly scope: readonly string[];
  readonly subject?: string;
  readonly expired?: boolean;
}

export interface DemoToken {
  readonly token: string;
  readonly issuer: DemoIssuer;
  /** Epoch seconds. */
  readonly expiresAt: number;
  /** How it was made: `client_credentials`, `signed` or `opaque`. */
  readonly how: 'client_credentials' | 'signed' | 'opaque';
}

export interface OAuthIssuer {
  readonly server: OAuthServer;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The `aud` of signed tokens (client_credentials tokens get the resource server's). */
  readonly audience: string;
}

export interface EntraIssuer {
  readonly server: EntraServer;
  /** gatepass's app: the `aud`. */
  readonly audience: string;
  /** The app the user signed in to: the `azp`. */
  readonly clientApp: string;
  readonly user: EntraUser;
}

/** Expired tokens end this long ago: beyond any clock skew gatepass allows (at most 60 s). */
const EXPIRED_AGO_SECONDS = 120;

export interface OpaqueTokenClaims {
  readonly sub: string;
  readonly scope: string;
  readonly client_id: string;
  /** Epoch seconds. */
  readonly exp: number;
}

/** The legacy SSO's memory of the opaque tokens it issued. */
export class OpaqueTokenStore {
  readonly #tokens = new Map<string, OpaqueTokenClaims>();

  constructor(readonly issuer: string) {}

  issue(claims: OpaqueTokenClaims): string {
    const token = `lgcy_${randomBytes(24).toString('base64url')}`;
    this.#tokens.set(token, claims);
    return token;
  }

  /** The RFC 7662 answer for a token. */
  introspect(token: string | null, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
    const claims = token ? this.#tokens.get(token) : undefined;
    if (!claims || claims.exp <= nowSeconds) return { active: false };
    return { active: true, iss: this.issuer, token_type: 'Bearer', ...claims };
  }
}

export class DemoTokenIssuer {
  constructor(private readonly parts: { readonly partner: OAuthIssuer; readonly corp: OAuthIssuer; readonly legacy: OpaqueTokenStore; readonly entra: EntraIssuer }) {}

  async issue(request: DemoTokenRequest): Promise<DemoToken> {
    const now = Math.floor(Date.now() / 1000);
    if (request.issuer === 'entra') {
      const { server, audience, clientApp, user } = this.parts.entra;
      const lifetime = request.expired ? -EXPIRED_AGO_SECONDS : 3599;
      const signedInUser = request.subject !== undefined ? { ...user, oid: request.subject } : user;
      const token = await server.signIn({ user: signedInUser, audience, scope: request.scope, clientApp, expiresInSeconds: lifetime });
      return { token, issuer: request.issuer, expiresAt: now + lifetime, how: 'signed' };
    }
    if (request.issuer === 'legacy') {
      const exp = request.expired ? now - EXPIRED_AGO_SECONDS : now + 300;
      const token = this.parts.legacy.issue({ sub: request.subject ?? 'svc-reporting', scope: request.scope.join(' '), client_id: 'reports-cli', exp });
      return { token, issuer: request.issuer, expiresAt: exp, how: 'opaque' };
    }
    const issuer = this.parts[request.issuer];
    if (request.subject !== undefined || request.expired) {
      const lifetime = request.expired ? -EXPIRED_AGO_SECONDS : 300;
      const token = await issuer.server.mint(
        { sub: request.subject ?? issuer.clientId, client_id: issuer.clientId, aud: issuer.audience, scope: request.scope.join(' ') },
        lifetime,
      );
      return { token, issuer: request.issuer, expiresAt: now + lifetime, how: 'signed' };
    }
    return { ...(await clientCredentials(issuer, request.scope)), issuer: request.issuer, how: 'client_credentials' };
  }
}

async function clientCredentials(issuer: OAuthIssuer, scope: readonly string[]): Promise<{ token: string; expiresAt: number }> {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope.length > 0) body.set('scope', scope.join(' '));
  const credentials = Buffer.from(`${encodeURIComponent(issuer.clientId)}:${encodeURIComponent(issuer.clientSecret)}`).toString('base64');
  const response = await fetch(issuer.server.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const answer = (await response.json()) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
  if (!response.ok || typeof answer.access_token !== 'string') {
    throw new Error(`the ${issuer.clientId} client_credentials grant failed: ${response.status} ${String(answer.error ?? '')}`);
  }
  const expiresIn = typeof answer.expires_in === 'number' ? answer.expires_in : 300;
  return { token: answer.access_token, expiresAt: Math.floor(Date.now() / 1000) + expiresIn };
}

export class TokenArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenArgsError';
  }
}

export const TOKEN_USAGE = `usage: npm run token -- [--issuer partner|corp|legacy|entra] [--scope "<scopes>"] [--sub <subject>] [--expired] [--json]
  --issuer   who issues it (default partner): partner IdP, corporate AS, the legacy SSO (opaque), or the
             Entra-style tenant (a signed-in user's token for gatepass's app; --sub sets the user's oid)
  --scope    space separated scopes (repeatable); default none
  --sub      the token's subject (default: the client id of a client_credentials grant)
  --expired  a token that expired ${EXPIRED_AGO_SECONDS} s ago
  --json     print {access_token, issuer, expires_at, how} instead of the bare token`;

/** `npm run token` arguments (also the walkthrough's), e.g. `--issuer corp --scope "orders:read orders:admin"`. */
export function parseTokenArgs(args: readonly string[]): DemoTokenRequest & { readonly json: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        issuer: { type: 'string', default: 'partner' },
        scope: { type: 'string', multiple: true, default: [] },
        sub: { type: 'string' },
        expired: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new TokenArgsError((error as Error).message);
  }
  const { issuer, scope, sub, expired, json } = parsed.values;
  if (!DEMO_ISSUERS.includes(issuer as DemoIssuer)) throw new TokenArgsError(`--issuer must be one of ${DEMO_ISSUERS.join(', ')}`);
  return {
    issuer: issuer as DemoIssuer,
    scope: [...new Set(scope.flatMap((s) => s.split(/\s+/)).filter(Boolean))],
    ...(sub !== undefined ? { subject: sub } : {}),
    expired,
    json,
  };
}
