import type { APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorCatalog, ErrorCode, isGatepassError, problemFor } from '../../shared/errors.js';
import { ProxyEventVersion } from './proxy-event.js';

/**
 * The Lambda proxy result in the event's own format: REST (payload 1.0) with
 * `multiValueHeaders`, HTTP API (payload 2.0) with `cookies`. Also the RFC 9457 problem
 * answers gatepass gives for its own refusals.
 */

export type ProxyResult = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2;

/** An HTTP answer before it is shaped for API Gateway (an upstream's, or a problem). */
export interface HttpAnswer {
  readonly status: number;
  /** Lower-cased names, every value. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
}

const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Retry-After for exchange_unavailable when the error does not say how long to wait. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

const TEXT_TYPES = /^\s*(text\/[^;]*|application\/(json|xml|javascript|x-www-form-urlencoded|graphql)|application\/[^;]*\+(json|xml)|image\/svg\+xml)\s*(;|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as API Gateway wants it: text for a UTF-8 body of a textual content type
 * without content coding (readable even where a REST API has no binaryMediaTypes),
 * base64 otherwise. Text is used only when its JSON form is no longer than the base64
 * form, so the size bound of the forwarder (MAX_UPSTREAM_BODY_BYTES) holds either way.
 */
export function encodeBody(body: Buffer, headers: ReadonlyMap<string, readonly string[]>): { body: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: '', isBase64Encoded: false };
  const base64 = body.toString('base64');
  const type = headers.get('content-type')?.[0] ?? '';
  const coding = (headers.get('content-encoding') ?? []).join(',').trim().toLowerCase();
  if (TEXT_TYPES.test(type) && (coding === '' || coding === 'identity')) {
    try {
      const text = utf8.decode(body);
      if (Buffer.byteLength(JSON.stringify(text)) <= base64.length + 2) return { body: text, isBase64Encoded: false };
    } catch {
      // not UTF-8: send base64
    }
  }
  return { body: base64, isBase64Encoded: true };
}

/** Shapes an answer for the event's payload version. */
export function proxyResult(version: ProxyEventVersion, answer: HttpAnswer): ProxyResult {
  const encoded = encodeBody(answer.body, answer.headers);
  if (version === ProxyEventVersion.V2) {
    const headers: Record<string, string> = {};
    let cookies: string[] = [];
    for (const [name, values] of answer.headers) {
      if (name === 'set-cookie') cookies = [...values];
      // HTTP API payload 2.0 has one value per header: repeated ones are comma-joined (RFC 9110 §5.3).
      else headers[name] = values.join(', ');
    }
    return { statusCode: answer.status, headers, ...(cookies.length > 0 ? { cookies } : {}), ...encoded };
  }
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of answer.headers) {
    if (values.length === 1) headers[name] = values[0]!;
    else if (values.length > 1) multiValueHeaders[name] = [...values];
  }
  return { statusCode: answer.status, headers, multiValueHeaders, ...encoded };
}

export interface ProblemOptions {
  /** Seconds for `Retry-After` (exchange_unavailable always carries one). */
  readonly retryAfterSeconds?: number;
  /** A `WWW-Authenticate` challenge of the route's own (MCP routes), instead of the generic one. */
  readonly challenge?: string;
  /** The methods for `Allow` (a 405 carries one, RFC 9110 §15.5.6). */
  readonly allow?: readonly string[];
}

/**
 * RFC 6750 §3 challenge for a refusal: none when the request had no token (§3.1),
 * `invalid_token` for the other 401s, `insufficient_scope` for the 403s. It never
 * repeats anything from the request.
 */
function challengeFor(code: ErrorCode): string | undefined {
  const { status, title } = errorCatalog[code];
  if (code === ErrorCode.TokenMissing) return 'Bearer';
  if (status === 401) return `Bearer error="invalid_token", error_description="${title}"`;
  if (status === 403) return `Bearer error="insufficient_scope", error_description="${title}"`;
  return undefined;
}

/** The problem+json answer of a code: `{type, title, status, code}` with its status. */
export function problemAnswer(code: ErrorCode, options: ProblemOptions = {}): HttpAnswer {
  const problem = problemFor(code);
  const headers = new Map<string, string[]>([
    ['content-type', [PROBLEM_CONTENT_TYPE]],
    ['cache-control', ['no-store']],
    ['x-content-type-options', ['nosniff']],
  ]);
  const challenge = options.challenge ?? challengeFor(code);
  if (challenge) headers.set('www-authenticate', [challenge]);
  if (options.allow) headers.set('allow', [options.allow.join(', ')]);
  const retryAfter = options.retryAfterSeconds ?? (code === ErrorCode.ExchangeUnavailable ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) headers.set('retry-after', [String(Math.max(1, Math.ceil(retryAfter)))]);
  return { status: problem.status, headers, body: Buffer.from(JSON.stringify(problem)) };
}

export function problemResult(version: ProxyEventVersion, code: ErrorCode, options: ProblemOptions = {}): ProxyResult {
  return proxyResult(version, problemAnswer(code, options));
}

/**
 * The code an error answers with: a GatepassError's own, anything else (a bug, an
 * unexpected library failure) gateway_misconfigured (500). Log the error itself.
 */
export function errorCodeOf(error: unknown): ErrorCode {
  return isGatepassError(error) ? error.code : ErrorCode.GatewayMisconfigured;
}

/**
 * The problem result for any error, with what an error may carry: `retryAfterSeconds`
 * (circuit open), `allow` (a 405), and the route's own `challenge` when the caller has one.
 */
export function problemResultForError(version: ProxyEventVersion, error: unknown, challenge?: string): ProxyResult {
  const carried = isGatepassError(error) ? (error as { retryAfterSeconds?: unknown; allow?: unknown }) : {};
  const retry = carried.retryAfterSeconds;
  const allow = Array.isArray(carried.allow) ? (carried.allow as unknown[]).filter((m): m is string => typeof m === 'string') : undefined;
  return problemResult(version, errorCodeOf(error), {
    ...(typeof retry === 'number' ? { retryAfterSeconds: retry } : {}),
    ...(allow ? { allow } : {}),
    ...(challenge ? { challenge } : {}),
  });
}
