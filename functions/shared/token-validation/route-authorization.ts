import type { GatepassConfig, RouteConfig } from '../config/config-schema.js';
import { encodeAuthorizerContext, type AuthorizerContext, type EncodedAuthorizerContext } from '../contracts/authorizer-context.js';
import { sha256Hex } from '../token-id.js';
import { assertRouteAccepts, classify } from './route-policy.js';
import type { TokenValidation } from './token-validation.js';

/** What is known about a request's token so far, for the decision line of a refusal. */
export interface DecisionProgress {
  readonly tokenId?: string;
  readonly issuer?: string;
  readonly via?: string;
}

/** An allowed request: the context both functions work from, and where the validation came from. */
export interface RouteAllowance {
  readonly context: AuthorizerContext;
  /** The same context as API Gateway carries it (checked to be carriable). */
  readonly encoded: EncodedAuthorizerContext;
  readonly via: string;
}

/**
 * The decision on a bearer token for one route, shared by the authorizer (every route it guards)
 * and the exchange function (the MCP routes it guards itself), so both apply the same rules:
 * validate (docs/design.md "Request path"), the route's checks (issuer, MCP resource
 * audience, required scopes), classify, and build the authorizer context. Refusals are
 * GatepassErrors; `progress` learns the tokenId, issuer and `via` as they become known.
 */
export async function authorizeRoute(
  config: GatepassConfig,
  validation: Pick<TokenValidation, 'validate'>,
  route: RouteConfig,
  token: string,
  progress: (known: DecisionProgress) => void = () => undefined,
): Promise<RouteAllowance> {
  // One hash per request: the memo key, and (its first 32 hex characters) the tokenId.
  const hash = sha256Hex(token);
  const tokenId = hash.slice(0, 32);
  progress({ tokenId });
  // The route checks below run for a remembered token like for any other.
  const { facts, via } = await validation.validate(token, hash, route);
  progress({ tokenId, issuer: facts.issuerKey, via });
  assertRouteAccepts(route, facts);
  const context: AuthorizerContext = {
    route: route.id,
    action: classify(config, route, facts),
    issuer: facts.issuerKey,
    subject: facts.subject,
    clientId: facts.clientId,
    scope: facts.scope,
    expiresAt: facts.expiresAt,
    tokenId,
  };
  return { context, encoded: encodeAuthorizerContext(context), via };
}
