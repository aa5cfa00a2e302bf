/**
 * The safety net under every log line of both functions: a JSON replacer for the
 * Powertools Logger (`jsonReplacerFn`) that removes what must never reach a log even if
 * some code passes it by mistake. The code's first duty is not to log secrets; this
 * catches the slips:
 * - values under credential-like keys (`authorization`, `cookie`, `client_secret`, ...);
 * - anything shaped like a compact JWS/JWE, and `Bearer`/`Basic`/`DPoP` credentials;
 * - values registered with `markSensitive` (the request's bearer token, the issued token,
 *   client secrets), raw and in their base64, base64url and URL-encoded forms: opaque
 *   tokens have no recognisable shape.
 */

export const REDACTED = '[redacted]';

/** Key names compared lower-cased with `-`, `_` and spaces removed. */
const SENSITIVE_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'token',
  'accesstoken',
  'subjecttoken',
  'actortoken',
  'refreshtoken',
  'idtoken',
  'bearertoken',
  'issuedtoken',
  'clientsecret',
  'clientassertion',
  'privatekey',
  'privatekeyjwk',
  'password',
  'secret',
  'secretstring',
  'xamzsecuritytoken',
]);

/** Compact JWS (3 parts) or JWE (5 parts) whose header starts with `{"`. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;
/** An HTTP credential: scheme then an RFC 6750 b64token / RFC 7617 token68. */
const CREDENTIAL = /\b(Bearer|Basic|DPoP)(\s+)[A-Za-z0-9\-._~+/]+=*/gi;
/** What every CREDENTIAL match contains (`\s+` after the scheme). */
const WHITESPACE = /\s/;
/** Shorter values would redact ordinary words. */
const MIN_SENSITIVE_LENGTH = 8;

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_ ]/g, '');
}

/**
 * Whether a key names a credential, remembered per key: log lines repeat the same few
 * keys, and normalising each one on every line was most of the net's cost (≈ 1 µs per
 * decision line). Bounded, in case some line carries arbitrary keys.
 */
const keyVerdicts = new Map<string, boolean>();
const MAX_REMEMBERED_KEYS = 1024;

/** A key whose value is never logged, whatever it holds (a field named like a credential). */
export function isSensitiveKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = SENSITIVE_KEYS.has(normaliseKey(key));
    if (keyVerdicts.size < MAX_REMEMBERED_KEYS) keyVerdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * A bounded, first-in first-out set of values to redact. A Lambda container handles one
 * request at a time, so the last few requests' tokens are all a process needs to remember.
 *
 * Every string of every log line goes through `redact`, so it must be cheap: the needles
 * (each value in each encoding) are kept sorted from longest to shortest, and a text is
 * searched only for the needles that fit in it. Most log values (route ids, scopes, codes)
 * are far shorter than any token, and skip every token needle at once. Longest first also
 * means a registered value that contains another one is redacted whole.
 */
export class SensitiveValues {
  private readonly values = new Map<string, readonly string[]>();
  /** Every encoding of every value, longest first (a multiset: equal needles may repeat). */
  private readonly needles: string[] = [];

  constructor(private readonly maxValues = 64) {}

  add(...values: readonly (string | undefined)[]): void {
    for (const value of values) {
      if (value === undefined || value.length < MIN_SENSITIVE_LENGTH || this.values.has(value)) continue;
      const encodings = [
        ...new Set([
          value,
          Buffer.from(value).toString('base64'),
          Buffer.from(value).toString('base64url'),
          encodeURIComponent(value),
          new URLSearchParams({ v: value }).toString().slice(2),
        ]),
      ];
      this.values.set(value, encodings);
      for (const needle of encodings) this.needles.splice(this.firstFitting(needle.length), 0, needle);
      while (this.values.size > this.maxValues) this.forget(this.values.keys().next().value!);
    }
  }

  clear(): void {
    this.values.clear();
    this.needles.length = 0;
  }

  redact(text: string): string {
    let out = text;
    for (let i = this.firstFitting(text.length); i < this.needles.length; i += 1) {
      const needle = this.needles[i]!;
      if (needle.length <= out.length && out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  }

  private forget(value: string): void {
    for (const needle of this.values.get(value) ?? []) {
      const at = this.needles.indexOf(needle);
      if (at !== -1) this.needles.splice(at, 1);
    }
    this.values.delete(value);
  }

  /** Index of the first needle no longer than `length` (the needles are sorted longest first). */
  private firstFitting(length: number): number {
    let low = 0;
    let high = this.needles.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.needles[mid]!.length > length) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** The process-wide registry the exchange Lambda's logger consults. */
export const sensitiveValues = new SensitiveValues();

/** Registers values (tokens, secrets) that no log line may contain, in any common encoding. */
export function markSensitive(...values: readonly (string | undefined)[]): void {
  sensitiveValues.add(...values);
}

/** A string with credential-shaped parts and registered values replaced by `[redacted]`. */
export function redactText(text: string, registry: SensitiveValues = sensitiveValues): string {
  if (text.length < MIN_SENSITIVE_LENGTH) return text;
  // Most log values hold neither pattern's mandatory part (`eyJ`; whitespace after a scheme): skip the scans then.
  let shaped = text.includes('eyJ') ? text.replace(JWT_SHAPE, REDACTED) : text;
  if (WHITESPACE.test(shaped)) shaped = shaped.replace(CREDENTIAL, `$1$2${REDACTED}`);
  return registry.redact(shaped);
}

/** A JSON.stringify replacer applying the rules above; Powertools calls it for every key of a log item. */
export function redactingReplacer(registry: SensitiveValues = sensitiveValues): (key: string, value: unknown) => unknown {
  return (key, value) => {
    if (key !== '' && value !== undefined && value !== null && isSensitiveKey(key)) return REDACTED;
    if (typeof value === 'string') return redactText(value, registry);
    return value;
  };
}
