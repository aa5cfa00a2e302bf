import { ErrorCode, GatepassError } from '../errors.js';

/**
 * The authorizer's decision as the exchange Lambda receives it (contract: docs/design.md
 * "Authorizer context"). REST APIs turn every value into a string; HTTP APIs keep types.
 */
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

export const AuthorizerAction = {
  Exchange: 'exchange',
  Passthrough: 'passthrough',
} as const;
export type AuthorizerAction = (typeof AuthorizerAction)[keyof typeof AuthorizerAction];

const ROUTE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN_ID = /^[0-9a-f]{32}$/;
const EPOCH_SECONDS = /^\d{1,12}$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function misconfigured(detail: string): GatepassError {
  // Only API Gateway writes this context: a bad one is a deployment fault, never the caller's.
  return new GatepassError(ErrorCode.GatewayMisconfigured, `authorizer context ${detail}`);
}

function stringField(context: Record<string, unknown>, key: string, allowEmpty: boolean, max = 2048): string {
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
  const scope = stringField(value, 'scope', true, 8192);
  return {
    route,
    action,
    issuer: stringField(value, 'issuer', false, 64),
    subject: stringField(value, 'subject', true),
    clientId: stringField(value, 'clientId', true),
    scope: scope.split(' ').filter((s) => s !== ''),
    expiresAt: expiresAtField(value),
    tokenId,
  };
}
