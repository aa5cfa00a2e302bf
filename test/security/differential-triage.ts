/**
 * Every kind of disagreement the differential suite may meet between gatepass (strict
 * decomposition + aws-jwt-verify) and jose's jwtVerify, with the reason it is acceptable.
 * SECURITY.md lists this table (generated); a disagreement outside it fails the suite.
 *
 * So far every category is gatepass refusing what jose accepts: gatepass is stricter by
 * design. A category in which gatepass allows what jose refuses would need a reason here
 * that shows the allow is safe, and `direction: 'gatepass-allows'`.
 */
export interface Triage {
  readonly direction: 'gatepass-refuses' | 'gatepass-allows';
  readonly explanation: string;
}

export const differentialTriage: Readonly<Record<string, Triage>> = {
  'encrypted-or-compressed-header': {
    direction: 'gatepass-refuses',
    explanation:
      'A JWS protected header carrying `enc` or `zip`. jose ignores members it does not know (RFC 7515 §4 allows that); gatepass refuses them because they mark a JWE or a compressed payload, and a token that could be read as either is the JWS/JWE confusion of RFC 8725 §2.3.',
  },
  'unencoded-payload-b64': {
    direction: 'gatepass-refuses',
    explanation:
      '`b64` without `crit`. jose ignores `b64` unless `crit` lists it (RFC 7797 §6); gatepass refuses any `b64`, so no token is ever read with an unencoded payload.',
  },
  'nested-token-cty': {
    direction: 'gatepass-refuses',
    explanation: '`cty: "JWT"` (a nested token). jose verifies the outer JWS and ignores `cty`; gatepass refuses nesting (RFC 7519 §5.2, RFC 8725 §2.8: one token, one meaning).',
  },
  'crit-header': {
    direction: 'gatepass-refuses',
    explanation: '`crit` present. jose accepts `crit` naming parameters it understands (e.g. `b64`); gatepass understands no extension and refuses every `crit` (RFC 7515 §4.1.11).',
  },
  'registered-claim-type': {
    direction: 'gatepass-refuses',
    explanation:
      '`sub`, `jti`, `client_id`, `scope` or `iss` not a string, `aud` not a string or list of strings, or `exp`/`nbf`/`iat` not a finite number. jose checks the types of the claims its options name; gatepass checks every registered claim it reads or passes on (RFC 7519 §4.1), so the context and the exchange never see a mistyped one.',
  },
  'header-member-type': {
    direction: 'gatepass-refuses',
    explanation: '`kid` or `typ` not a string. jose ignores a mistyped `typ` unless asked to check it; gatepass refuses (RFC 7515 §4.1.4, §4.1.9).',
  },
  'issued-in-the-future': {
    direction: 'gatepass-refuses',
    explanation: '`iat` later than now plus the allowed skew. jose checks `iat` only with `maxTokenAge`; gatepass refuses a token issued in the future (RFC 8725 §3.10: do not trust received claims).',
  },
  'no-usable-kid': {
    direction: 'gatepass-refuses',
    explanation:
      'No `kid` (or a misnamed one). jose picks the one key of the set that fits the algorithm; aws-jwt-verify requires the `kid` to select the key. Refusing is the RFC 8725 §3.10 reading: key selection comes from the configuration and the `kid`, never from guessing.',
  },
  'not-b64token': {
    direction: 'gatepass-refuses',
    explanation:
      'A character outside RFC 6750 §2.1 b64token in the token. jose decodes what it can; gatepass refuses the Authorization value before decoding anything, and reads whitespace right after the scheme as the separator HTTP allows (RFC 9110 §11.4), so a signature made over that whitespace no longer verifies.',
  },
  'non-canonical-encoding': {
    direction: 'gatepass-refuses',
    explanation:
      'Padding, standard-base64 characters or non-zero trailing bits. jose decodes leniently (two encodings of one token both verify); gatepass accepts only canonical unpadded base64url (RFC 7515 §2, RFC 8725 §2.6).',
  },
  'context-uncarriable-claim': {
    direction: 'gatepass-refuses',
    explanation:
      'A `sub` or `client_id` over 2,048 characters, a scope entry holding whitespace, or an `exp` beyond twelve digits (after the year 33658). jose sets no such bounds; gatepass refuses a token whose claims the authorizer context cannot carry exactly to the exchange Lambda, which would otherwise refuse the request with a 500.',
  },
  'invalid-utf8': {
    direction: 'gatepass-refuses',
    explanation: 'A header or payload that is not valid UTF-8. jose decodes with replacement characters; gatepass refuses (RFC 8725 §3.7, RFC 8259 §8.1).',
  },
};

/** The category of one disagreement, from gatepass's refusal reason and the token itself. */
export function triageOf(input: { gatepassAllows: boolean; gatepassReason: string; joseReason: string; token: string }): string {
  if (input.gatepassAllows) return `untriaged: gatepass allows, jose refuses (${input.joseReason})`;
  const reason = input.gatepassReason;
  const rules: [RegExp, string][] = [
    [/encrypted or compressed/, 'encrypted-or-compressed-header'],
    [/\bb64\b|unencoded/, 'unencoded-payload-b64'],
    [/nested/, 'nested-token-cty'],
    [/\bcrit\b/, 'crit-header'],
    [/JWT (sub|jti|client_id|scope|iss) is not a string|aud is not a string|(exp|nbf|iat) is not a number/, 'registered-claim-type'],
    [/JWT (kid|typ) is not a string/, 'header-member-type'],
    [/issued in the future/, 'issued-in-the-future'],
    [/b64token/, 'not-b64token'],
    [/canonical|not base64url/, 'non-canonical-encoding'],
    [/UTF-8/, 'invalid-utf8'],
    [/cannot be carried in the authorizer context/, 'context-uncarriable-claim'],
  ];
  for (const [pattern, category] of rules) if (pattern.test(reason)) return category;
  // A token jose verified over whitespace or other non-b64token characters (RFC 6750 §2.1) that gatepass never reads as part of it.
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(input.token)) return 'not-b64token';
  if (!hasStringKid(input.token)) return 'no-usable-kid';
  return `untriaged: gatepass refuses (${reason}), jose allows`;
}

function hasStringKid(token: string): boolean {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof header['kid'] === 'string';
  } catch {
    return false;
  }
}
