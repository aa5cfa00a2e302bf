import { ErrorCode, GatepassError } from '../errors.js';

/**
 * The authorizer→exchange contract (docs/design.md "Authorizer context"): the authorizer
 * builds it with `encodeAuthorizerContext` when it allows, API Gateway carries it, and the
 * exchange Lambda reads it back with `parseAuthorizerContext`. Keys and values are the contract.
 */

/** What the authorizer decided for an allowed request. */
export const AuthorizerAction = {
  Exchange: 'exchange',
  Passthrough: 'passthrough',
} as const;
export type AuthorizerAction = (typeof AuthorizerAction)[keyof typeof AuthorizerAction];

/** The authorizer's decision, as both functions use it. */
export interface AuthorizerContext {
  /** Route id from the configuration. */
  readonly route: string;
  readonly action: AuthorizerAction;
  /** The issuer's config key. */
  readonly issuer: string;
  readonly subject: string;
  readonly clientId: string;
  /** The subject token's scopes (the context carries them space separated). */
  readonly scope: readonly string[];
  /** Epoch seconds. */
  readonly expiresAt: number;
  /** tokenIdOf(the raw bearer token). */
  readonly tokenId: string;
}

/**
 * The same keys as API Gateway carries them: primitive values only, `scope` space separated.
 * REST APIs turn every value into a string; HTTP APIs keep the types.
 */
export type EncodedAuthorizerContext = {
  readonly [Key in keyof AuthorizerContext]: Key extends 'scope' ? string : AuthorizerContext[Key];
};

const ROUTE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ISSUER_KEY_MAX = 64;
const TOKEN_ID = /^[0-9a-f]{32}$/;
const CLAIM_MAX = 2048;
const SCOPE_MAX = 8192;
// REST stringifies numbers: twelve digits is the longest epoch the parser reads back (year 33658).
const EPOCH_SECONDS = /^\d{1,12}$/;
const MAX_EPOCH_SECONDS = 999_999_999_999;

/**
 * The context for an allow. A token whose claims the context cannot carry faithfully (a scope
 * with a space, a subject longer than the parser reads, an `exp` beyond twelve digits) is
 * refused here as token_invalid (401): allowing it would make the exchange Lambda answer 500
 * for a request whose only fault is its token.
 */
export function encodeAuthorizerContext(context: AuthorizerContext): EncodedAuthorizerContext {
  const scope = context.scope.join(' ');
  const uncarriable = (detail: string) => new GatepassError(ErrorCode.TokenInvalid, `token claims cannot be carried in the authorizer context: ${detail}`);
  if (context.subject.length > CLAIM_MAX) throw uncarriable(`subject longer than ${CLAIM_MAX} characters`);
  if (context.clientId.length > CLAIM_MAX) throw uncarriable(`client id longer than ${CLAIM_MAX} characters`);
  if (context.scope.some((s) => s === '' || s.includes(' '))) throw uncarriable('a scope is empty or holds a space');
  if (scope.length > SCOPE_MAX) throw uncarriable(`scope longer than ${SCOPE_MAX} characters`);
  if (!Number.isSafeInteger(context.expiresAt) || context.expiresAt <= 0 || context.expiresAt > MAX_EPOCH_SECONDS) {
    throw uncarriable('expiry is not an epoch second of at most twelve digits');
  }
  // Route, issuer and token id come from the configuration and our own hash, never from the
  // token: a bad one is a bug, so it fails loudly instead of refusing the caller.
  if (!ROUTE_ID.test(context.route) || context.issuer === '' || context.issuer.length > ISSUER_KEY_MAX || !TOKEN_ID.test(context.tokenId)) {
    throw new Error('authorizer context: route, issuer or tokenId out of contract');
  }
  return {
    route: context.route,
    action: context.action,
    issuer: context.issuer,
    subject: context.subject,
    clientId: context.clientId,
    scope,
    expiresAt: context.expiresAt,
    tokenId: context.tokenId,
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function misconfigured(detail: string): GatepassError {
  // Only API Gateway writes this context: a bad one is a deployment fault, never the caller's.
  return new GatepassError(ErrorCode.GatewayMisconfigured, `authorizer context ${detail}`);
}

function stringField(context: Record<string, unknown>, key: keyof AuthorizerContext, allowEmpty: boolean, max: number): string {
  const value = context[key];
  if (typeof value !== 'string') throw misconfigured(`is missing "${key}"`);
  if (!allowEmpty && value === '') throw misconfigured(`has an empty "${key}"`);
  if (value.length > max) throw misconfigured(`has a "${key}" longer than ${max} characters`);
  return value;
}

function expiresAtField(context: Record<string, unknown>): number {
  const value = context['expiresAt'];
  const seconds =
    typeof value === 'number' ? value : typeof value === 'string' && EPOCH_SECONDS.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw misconfigured('has no valid "expiresAt" (epoch seconds)');
  return seconds;
}

/**
 * Validates the context object (REST `requestContext.authorizer`, HTTP API
 * `requestContext.authorizer.lambda`). Anything missing or malformed means the
 * authorizer did not run for this route, or a different one did: gateway_misconfigured
 * (500), so the fault pages the operator instead of hiding among 401s, and nothing is
 * forwarded.
 */
export function parseAuthorizerContext(value: unknown): AuthorizerContext {
  if (!isObject(value)) throw misconfigured('is missing: is the gatepass authorizer attached to this route?');
  const route = stringField(value, 'route', false, 64);
  if (!ROUTE_ID.test(route)) throw misconfigured('has an invalid "route"');
  const action = value['action'];
  if (action !== AuthorizerAction.Exchange && action !== AuthorizerAction.Passthrough) {
    throw misconfigured('has an invalid "action" (exchange | passthrough)');
  }
  const tokenId = stringField(value, 'tokenId', false, 32);
  if (!TOKEN_ID.test(tokenId)) throw misconfigured('has an invalid "tokenId"');
  const scope = stringField(value, 'scope', true, SCOPE_MAX);
  return {
    route,
    action,
    issuer: stringField(value, 'issuer', false, ISSUER_KEY_MAX),
    subject: stringField(value, 'subject', true, CLAIM_MAX),
    clientId: stringField(value, 'clientId', true, CLAIM_MAX),
    scope: scope.split(' ').filter((s) => s !== ''),
    expiresAt: expiresAtField(value),
    tokenId,
  };
}
