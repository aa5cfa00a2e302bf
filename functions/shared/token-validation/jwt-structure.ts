import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import { ErrorCode, GatepassError } from '../errors.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** True when the token has the JWS compact shape (three dot-separated parts). */
export function hasJwsShape(token: string): boolean {
  const first = token.indexOf('.');
  if (first <= 0) return false;
  const second = token.indexOf('.', first + 1);
  return second > first + 1 && token.indexOf('.', second + 1) === -1;
}

/** The 6-bit value of each base64url character, -1 for anything else. */
const BASE64URL_VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < alphabet.length; i += 1) values[alphabet.charCodeAt(i)] = i;
  return values;
})();

/**
 * True when `segment` is canonical unpadded base64url: the only encoding whose decoding
 * encodes back to itself. Beyond the alphabet and a length that is not 1 mod 4, the bits
 * of the last character that carry no data must be zero (RFC 4648 §3.5): otherwise two
 * strings decode to the same bytes. Checked on the text, without decoding it.
 */
export function isCanonicalBase64Url(segment: string): boolean {
  const remainder = segment.length % 4;
  if (segment.length === 0 || remainder === 1 || !BASE64URL.test(segment)) return false;
  if (remainder === 0) return true;
  const last = BASE64URL_VALUES[segment.charCodeAt(segment.length - 1)]!;
  // 2 characters carry one byte (4 spare bits), 3 characters two bytes (2 spare bits).
  return (last & (remainder === 2 ? 0x0f : 0x03)) === 0;
}

/** Refuses anything but canonical unpadded base64url: two encodings of one token must not both be accepted. */
function assertCanonical(segment: string, what: string): void {
  if (!isCanonicalBase64Url(segment)) throw new GatepassError(ErrorCode.TokenMalformed, `JWT ${what} is not canonical base64url`);
}

function decodeSegment(segment: string, what: string): Buffer {
  assertCanonical(segment, what);
  return Buffer.from(segment, 'base64url');
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new GatepassError(ErrorCode.TokenMalformed, `JWT ${what} is not UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatepassError(ErrorCode.TokenMalformed, `JWT ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

const NUMERIC_CLAIMS = ['exp', 'nbf', 'iat'] as const;
const STRING_CLAIMS = ['iss', 'sub', 'jti', 'client_id'] as const;
const STRING_OR_LIST_CLAIMS = ['scope', 'aud'] as const;

/**
 * Splits and checks a compact JWS before any key is looked up: canonical encoding,
 * JSON objects, a plain signed JWT (no `crit`, no unencoded payload, no nesting, no
 * encryption), and well-typed registered claims. Header fields that point elsewhere
 * (`jku`, `x5u`, `jwk`, `x5c`) are never used, so they are left alone.
 */
export function decomposeJwt(token: string): DecomposedJwt {
  // The shape check of hasJwsShape, keeping the dots' positions to cut the parts.
  const first = token.indexOf('.');
  const second = first <= 0 ? -1 : token.indexOf('.', first + 1);
  if (second <= first + 1 || token.indexOf('.', second + 1) !== -1) throw new GatepassError(ErrorCode.TokenMalformed, 'not a compact JWS');
  const headerB64 = token.slice(0, first);
  const payloadB64 = token.slice(first + 1, second);
  const signatureB64 = token.slice(second + 1);
  const header = parseJsonObject(decodeSegment(headerB64, 'header'), 'header');
  const payload = parseJsonObject(decodeSegment(payloadB64, 'payload'), 'payload');
  if (typeof header['alg'] !== 'string') throw new GatepassError(ErrorCode.TokenMalformed, 'JWT header has no alg');
  if (header['alg'].toLowerCase() === 'none') throw new GatepassError(ErrorCode.TokenInvalid, 'unsigned JWT (alg none)');
  // The verifier decodes the signature itself: here only its encoding is checked.
  assertCanonical(signatureB64, 'signature');
  if (header['kid'] !== undefined && typeof header['kid'] !== 'string') throw new GatepassError(ErrorCode.TokenMalformed, 'JWT kid is not a string');
  if (header['typ'] !== undefined && typeof header['typ'] !== 'string') throw new GatepassError(ErrorCode.TokenMalformed, 'JWT typ is not a string');
  // RFC 7515 §4.1.11: a recipient must refuse `crit` extensions it does not understand; gatepass understands none.
  if ('crit' in header) throw new GatepassError(ErrorCode.TokenInvalid, 'JWT header has crit');
  if ('b64' in header) throw new GatepassError(ErrorCode.TokenInvalid, 'JWT header has b64 (RFC 7797 unencoded payload)');
  if ('enc' in header || 'zip' in header) throw new GatepassError(ErrorCode.TokenInvalid, 'JWT is encrypted or compressed');
  if (typeof header['cty'] === 'string' && header['cty'].toUpperCase() === 'JWT') throw new GatepassError(ErrorCode.TokenInvalid, 'nested JWT');

  for (const name of NUMERIC_CLAIMS) {
    const value = payload[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new GatepassError(ErrorCode.TokenInvalid, `JWT ${name} is not a number`);
    }
  }
  for (const name of STRING_CLAIMS) {
    if (payload[name] !== undefined && typeof payload[name] !== 'string') throw new GatepassError(ErrorCode.TokenInvalid, `JWT ${name} is not a string`);
  }
  // `aud` (RFC 7519 §4.1.3), and `scope`: the RFC 9068 string or the JSON array of strings Spring Authorization Server writes (functions/shared/claims.ts).
  for (const name of STRING_OR_LIST_CLAIMS) {
    const value = payload[name];
    if (value !== undefined && typeof value !== 'string' && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
      throw new GatepassError(ErrorCode.TokenInvalid, `JWT ${name} is not a string or a list of strings`);
    }
  }
  return { header: header as JwtHeader, headerB64, payload: payload as JwtPayload, payloadB64, signatureB64 };
}

/** `at+jwt`, `application/at+jwt` and `AT+JWT` are one type (RFC 7515 §4.1.9). */
export function normaliseTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}
