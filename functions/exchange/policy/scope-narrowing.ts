import type { RouteConfig } from '../../shared/config/config-schema.js';
import { audiencesOf, hasScopeClaim, scopesOf } from '../../shared/claims.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import { unverifiedClaimsOf } from './jwt-claims.js';

/**
 * Verified narrowing: an exchange may only ever make a token narrower
 * (docs/design.md "Authorization servers beyond RFC 8693").
 * - The route's flow decides the limit (narrowingFlowOf): `downscoping` bounds the grant by the
 *   requested scope AND the subject token's own scopes (`subjectScopes`), even when nothing
 *   was requested; `federation` and `delegation` by the requested scope only (a token for
 *   another API never shares the caller's scopes).
 * - Nothing requested and no subject limit: whatever the authorization server grants is
 *   accepted (gatepass asked for no particular scope; the server owns that policy).
 * - The OpenID Connect identity scopes (IDENTITY_SCOPES) never count against a limit: Keycloak
 *   adds its realm's default client scopes `profile email` to every token it issues. They are
 *   returned, for the decision line.
 * - Resource-prefixed scopes (Entra ID: `api://orders/Orders.Read` requested and answered,
 *   `Orders.Read` in the token's `scp`): a short scope is compared with the last path segment
 *   of the requested scopes of the resource the token is for.
 * - `<resource>/.default` names no scope: the grant is whatever the app registration allows
 *   for that resource, so every scope of that resource is accepted by name, and the issued
 *   token's `aud` must be that resource or one of the route's `audience`/`resource` values
 *   (Entra v2.0 tokens carry the API's client id, a GUID, as `aud`).
 * The granted scope is the answer's `scope`, else the requested one (RFC 8693 §2.2.1). When the
 * issued token is a JWT with a scope claim, that claim must obey the same limits: an answer
 * cannot understate what the token really carries. A broader grant is `exchange_not_narrower`
 * (502) and is never cached.
 */
export interface NarrowingCheck {
  readonly requested: readonly string[];
  readonly granted: readonly string[];
  /** The subject token's scopes, when the flow is downscoping; undefined otherwise. */
  readonly subjectScopes?: readonly string[];
  /** The issued token, to read its own scope claim when it is a JWT (used when `issuedClaims` is absent). */
  readonly issuedToken: string;
  /** The issued token's claims as gatepass verified them (`{}` for an opaque token). */
  readonly issuedClaims?: Readonly<Record<string, unknown>>;
  /** The route's `audience` and `resource` values: audiences a `.default` token may also carry. */
  readonly routeAudiences?: readonly string[];
}

/** What narrowing let through without bounding it by name, for the decision line. */
export interface NarrowingResult {
  /** Identity scopes in the grant or the token, ignored by every limit. */
  readonly identityScopes: readonly string[];
  /** Resources asked for with `<resource>/.default`. */
  readonly defaultScopeResources: readonly string[];
}

/** OpenID Connect Core §5.4 and §11: they name claims about the user, not access to an API. */
const IDENTITY_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);

/** The narrowing limits of docs/design.md "Authorization servers beyond RFC 8693". */
export type NarrowingFlow = NonNullable<NonNullable<RouteConfig['exchange']>['flow']>;

/** A route's flow, else same issuer → downscoping, other issuer → federation. */
export function narrowingFlowOf(flow: NarrowingFlow | undefined, sameIssuer: boolean): NarrowingFlow {
  return flow ?? (sameIssuer ? 'downscoping' : 'federation');
}

const DEFAULT_SCOPE = '.default';
/** A resource prefix Entra ID accepts: a URI (App ID URI, https://graph.microsoft.com) or an application id. */
const RESOURCE_PREFIX = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

interface ResourceScope {
  readonly resource: string;
  readonly name: string;
}

/** `api://orders/Orders.Read` → { resource: 'api://orders', name: 'Orders.Read' }; undefined for a plain scope. */
export function resourceScopeOf(scope: string): ResourceScope | undefined {
  const slash = scope.lastIndexOf('/');
  if (slash <= 0 || slash === scope.length - 1) return undefined;
  const resource = scope.slice(0, slash);
  return RESOURCE_PREFIX.test(resource) ? { resource, name: scope.slice(slash + 1) } : undefined;
}

export function verifyNarrowing(check: NarrowingCheck, where: string): NarrowingResult {
  const claims = check.issuedClaims ?? unverifiedClaimsOf(check.issuedToken);
  const carried = hasScopeClaim(claims) ? scopesOf(claims) : undefined;
  const identityScopes = [...new Set([...check.granted, ...(carried ?? [])].filter((s) => IDENTITY_SCOPES.has(s)))].sort();

  const requested = new Set(check.requested);
  const prefixed = check.requested.map(resourceScopeOf).filter((r): r is ResourceScope => r !== undefined);
  const defaultScopeResources = [...new Set(prefixed.filter((r) => r.name === DEFAULT_SCOPE).map((r) => r.resource))];
  const tokenResource = resourceOfToken(prefixed, audiencesOf(claims));
  const shortNames = new Set(prefixed.filter((r) => r.resource === tokenResource && r.name !== DEFAULT_SCOPE).map((r) => r.name));
  const shortUnbounded = tokenResource !== undefined && defaultScopeResources.includes(tokenResource);

  const withinRequest = (scope: string): boolean => {
    if (requested.has(scope)) return true;
    const asResource = resourceScopeOf(scope);
    if (asResource) return defaultScopeResources.includes(asResource.resource);
    return shortUnbounded || shortNames.has(scope);
  };

  const limits: { name: string; allows: (scope: string) => boolean }[] = [];
  if (check.requested.length > 0) limits.push({ name: 'the requested scope', allows: withinRequest });
  if (check.subjectScopes !== undefined) {
    const subject = new Set(check.subjectScopes);
    limits.push({ name: "the subject token's scope", allows: (scope) => subject.has(scope) });
  }

  for (const { name, allows } of limits) {
    const extra = check.granted.filter((s) => !IDENTITY_SCOPES.has(s) && !allows(s));
    if (extra.length > 0) {
      throw new GatepassError(ErrorCode.ExchangeNotNarrower, `${where} granted ${extra.length} scope(s) beyond ${name}: ${extra.slice(0, 10).join(' ')}`);
    }
    const hidden = carried?.filter((s) => !IDENTITY_SCOPES.has(s) && !allows(s)) ?? [];
    if (hidden.length > 0) {
      throw new GatepassError(ErrorCode.ExchangeNotNarrower, `the token ${where} issued carries ${hidden.length} scope(s) beyond ${name}: ${hidden.slice(0, 10).join(' ')}`);
    }
  }

  if (defaultScopeResources.length > 0 && Object.keys(claims).length > 0) {
    const allowed = new Set([...defaultScopeResources, ...(check.routeAudiences ?? [])]);
    const audiences = audiencesOf(claims);
    if (audiences.length === 0 || audiences.some((a) => !allowed.has(a))) {
      throw new GatepassError(
        ErrorCode.ExchangeNotNarrower,
        `the token ${where} issued for ${defaultScopeResources.join(' ')}/.default is meant for another audience; list the API's client id in the route's exchange.audience`,
      );
    }
  }
  return { identityScopes, defaultScopeResources };
}

/**
 * The resource an issued token is for: the requested resource its `aud` names, else the one
 * resource all resource-prefixed requested scopes share (Entra issues a token for one resource
 * per request, and a v2.0 token's `aud` is the API's client id, which names none of them).
 */
function resourceOfToken(prefixed: readonly ResourceScope[], audiences: readonly string[]): string | undefined {
  const resources = [...new Set(prefixed.map((r) => r.resource))];
  const named = resources.find((r) => audiences.includes(r));
  if (named !== undefined) return named;
  return resources.length === 1 ? resources[0] : undefined;
}
