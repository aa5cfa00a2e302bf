/**
 * The stable refusal codes of gatepass (contract: docs/design.md "Errors").
 * Code switches on `code`, never on message text.
 */
export const ErrorCode = {
  TokenMissing: 'token_missing',
  TokenMalformed: 'token_malformed',
  TokenInvalid: 'token_invalid',
  TokenExpired: 'token_expired',
  TokenNotYetValid: 'token_not_yet_valid',
  IssuerNotAccepted: 'issuer_not_accepted',
  AudienceNotAccepted: 'audience_not_accepted',
  InsufficientScope: 'insufficient_scope',
  ExchangeDenied: 'exchange_denied',
  ExchangeNotNarrower: 'exchange_not_narrower',
  ExchangeBadResponse: 'exchange_bad_response',
  ExchangeUnavailable: 'exchange_unavailable',
  UpstreamUnavailable: 'upstream_unavailable',
  UpstreamTimeout: 'upstream_timeout',
  GatewayMisconfigured: 'gateway_misconfigured',
  RequestInvalid: 'request_invalid',
  MethodNotAllowed: 'method_not_allowed',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

interface CodeInfo {
  readonly status: number;
  readonly title: string;
}

/** HTTP status and RFC 9457 title of every code. */
export const errorCatalog: Readonly<Record<ErrorCode, CodeInfo>> = {
  token_missing: { status: 401, title: 'A bearer token is required' },
  token_malformed: { status: 401, title: 'The bearer token is malformed' },
  token_invalid: { status: 401, title: 'The bearer token is not valid' },
  token_expired: { status: 401, title: 'The bearer token has expired' },
  token_not_yet_valid: { status: 401, title: 'The bearer token is not valid yet' },
  issuer_not_accepted: { status: 401, title: 'The token issuer is not accepted on this route' },
  audience_not_accepted: { status: 401, title: 'The token audience is not accepted' },
  insufficient_scope: { status: 403, title: 'The token lacks a scope this route requires' },
  exchange_denied: { status: 403, title: 'The authorization server refused the token exchange' },
  exchange_not_narrower: { status: 502, title: 'The issued token is broader than requested' },
  exchange_bad_response: { status: 502, title: 'The authorization server answered with an invalid response' },
  exchange_unavailable: { status: 503, title: 'The authorization server is unavailable' },
  upstream_unavailable: { status: 502, title: 'The upstream service could not be reached' },
  upstream_timeout: { status: 504, title: 'The upstream service did not answer in time' },
  gateway_misconfigured: { status: 500, title: 'The gateway is misconfigured' },
  request_invalid: { status: 400, title: 'The request cannot be forwarded upstream' },
  method_not_allowed: { status: 405, title: 'The method is not allowed on this resource' },
};

const errorTypeBase = 'https://gatepass.dev/errors/';

/** RFC 9457 problem details body for a code. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
}

export function problemFor(code: ErrorCode): Problem {
  const { status, title } = errorCatalog[code];
  return { type: `${errorTypeBase}${code}`, title, status, code };
}

/**
 * A refusal with a stable code. The message is for logs and must never contain a
 * token or a secret; `cause` keeps the library error for debugging.
 */
export class GatepassError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? errorCatalog[code].title, options);
    this.name = 'GatepassError';
    this.code = code;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }
}

export function isGatepassError(error: unknown): error is GatepassError {
  return error instanceof GatepassError;
}
