import { errorCatalog, type ErrorCode } from '../../functions/shared/errors.js';

/**
 * The threat catalogue (issue #7): every attack and fault gatepass is held against, with a
 * stable id, a one-line threat, the expected outcome and a reference. The suites under
 * test/security run FROM this list: each automated id has exactly one executor, and
 * catalogue.test.ts fails when an id has no executor, an executor has no id, or SECURITY.md
 * does not list the catalogue exactly as `npm run test:security` generates it.
 *
 * Ids never change meaning: retire an id instead of reusing it.
 */

export const Family = {
  Algorithm: 'authorizer: algorithm attacks',
  KeySelection: 'authorizer: key selection',
  HeaderSemantics: 'authorizer: header semantics',
  IssuerSsrf: 'authorizer: issuer and SSRF',
  TimeClaims: 'authorizer: time claims',
  AudienceScope: 'authorizer: audience and scope',
  ParserAbuse: 'authorizer: parser abuse',
  HttpHeaders: 'authorizer: Authorization header handling',
  Introspection: 'authorizer: introspection answers',
  JwksFaults: 'authorizer: JWKS endpoint faults',
  CachedPolicy: 'authorizer: cached policies across routes',
  TokenResponse: 'exchange: malformed token endpoint answers',
  OAuthErrors: 'exchange: OAuth error mapping',
  Rotation: 'exchange: client secret rotation',
  Availability: 'exchange: token endpoint availability',
  Narrowing: 'exchange: scope broadening',
  IssuedAudience: 'exchange: audience of the issued token',
  Delegation: 'exchange: act depth and may_act',
  CacheKey: 'exchange: cache key confusion',
  Expiry: 'exchange: expiry',
  DynamoDb: 'exchange: DynamoDB faults',
  SecretsManager: 'exchange: Secrets Manager faults',
  Concurrency: 'exchange: concurrency',
  Upstream: 'exchange: upstream faults',
  Mcp: 'exchange: MCP routes',
  LogHygiene: 'log hygiene',
  OutOfScope: 'out of scope or outside this machine',
} as const;
export type Family = (typeof Family)[keyof typeof Family];

/** What must happen. `status` is what the caller gets (REST status for the authorizer). */
export type ExpectedOutcome =
  /** The authorizer allows (REST: an Allow policy; HTTP API: isAuthorized true). */
  | { readonly kind: 'allow' }
  /** Refused with this code and status. HTTP APIs answer every authorizer refusal with 403. */
  | { readonly kind: 'refuse'; readonly code: ErrorCode; readonly status: number }
  /** The exchange Lambda forwarded with a valid token, and the caller got the upstream's `status`. */
  | { readonly kind: 'forward'; readonly status: number }
  /** gatepass answered itself with `status` (MCP protected resource metadata), nothing forwarded. */
  | { readonly kind: 'answer'; readonly status: number }
  /** No canary, in any encoding, in any log output. */
  | { readonly kind: 'no-leak' };

export interface Threat {
  /** Stable: `<AREA>-<FAMILY>-<NNN>`. */
  readonly id: string;
  readonly family: Family;
  /** One line: what the attacker or the fault does. */
  readonly threat: string;
  readonly expected: ExpectedOutcome;
  readonly reference: string;
  /** `true`: an executor runs it in test/security. Otherwise why not. */
  readonly automated: true | { readonly reason: string };
}

const refuse = (code: ErrorCode, status = errorCatalog[code].status): ExpectedOutcome => ({ kind: 'refuse', code, status });
const allow: ExpectedOutcome = { kind: 'allow' };
const forward = (status = 200): ExpectedOutcome => ({ kind: 'forward', status });
const noLeak: ExpectedOutcome = { kind: 'no-leak' };
const answer = (status = 200): ExpectedOutcome => ({ kind: 'answer', status });

type Row = readonly [id: string, threat: string, expected: ExpectedOutcome, reference: string, automated?: { reason: string }];

function family(name: Family, rows: readonly Row[]): Threat[] {
  return rows.map(([id, threat, expected, reference, notAutomated]) => ({ id, family: name, threat, expected, reference, automated: notAutomated ?? true }));
}

export const threatCatalogue: readonly Threat[] = [
  ...family(Family.Algorithm, [
    ['AUTHZ-ALG-001', 'alg "none" with an empty signature and claims the route would accept', refuse('token_invalid'), 'RFC 8725 §2.1, §3.1; CVE-2015-9235'],
    ['AUTHZ-ALG-002', 'alg "None", "NONE" and "nOnE" (case variants of none)', refuse('token_invalid'), 'RFC 8725 §3.1; CVE-2015-9235'],
    ['AUTHZ-ALG-003', 'HS256 signed with the issuer RSA public key (JWK JSON, PEM and DER) as the HMAC secret', refuse('token_invalid'), 'RFC 8725 §2.1, §3.1; CVE-2016-10555'],
    ['AUTHZ-ALG-004', 'HS256 signed with the issuer EC public key (PEM) as the HMAC secret', refuse('token_invalid'), 'RFC 8725 §3.1; CVE-2016-10555'],
    ['AUTHZ-ALG-005', 'alg RS256 in the header, signed with the EC key its kid names', refuse('token_invalid'), 'RFC 8725 §3.1; RFC 7518 §3.1'],
    ['AUTHZ-ALG-006', 'alg ES256 in the header, signed with a P-384 key published under that kid (curve mismatch)', refuse('token_invalid'), 'RFC 7518 §3.4'],
    ['AUTHZ-ALG-007', 'PS256 (not in the issuer\'s algorithms) signed with the issuer\'s own RSA key', refuse('token_invalid'), 'RFC 8725 §3.1, §3.2'],
    ['AUTHZ-ALG-008', 'a valid ES256 token for an issuer configured with algorithms ["RS256"]', refuse('token_invalid'), 'RFC 8725 §3.1'],
    ['AUTHZ-ALG-009', 'ECDSA "psychic signature": r = s = 0 in the JOSE (R||S) encoding', refuse('token_invalid'), 'CVE-2022-21449; RFC 8725 §3.3'],
    ['AUTHZ-ALG-010', 'ECDSA psychic signature r = s = 0, DER-encoded (30 06 02 01 00 02 01 00)', refuse('token_invalid'), 'CVE-2022-21449; RFC 7518 §3.4'],
    ['AUTHZ-ALG-011', 'a genuine ES256 signature in DER instead of the JOSE R||S form', refuse('token_invalid'), 'RFC 7518 §3.4'],
    ['AUTHZ-ALG-012', 'ECDSA r = s = n (the curve order), which reduces to zero', refuse('token_invalid'), 'CVE-2022-21449'],
    ['AUTHZ-ALG-013', 'alg that is not a string (an array, a number, null)', refuse('token_malformed'), 'RFC 7515 §4.1.1'],
    ['AUTHZ-ALG-014', 'RS256 token with the signature part stripped ("h.p.")', refuse('token_malformed'), 'RFC 8725 §3.1'],
    ['AUTHZ-ALG-015', 'the high-S twin (r, n − s) of a valid ES256 signature', allow, 'RFC 7518 §3.4 (ECDSA malleability: same signer, same claims; no decision keys on token bytes)'],
    ['AUTHZ-ALG-016', 'EdDSA header over a token signed by the issuer\'s RSA key under the Ed25519 kid', refuse('token_invalid'), 'RFC 8037 §3.1; RFC 8725 §3.1'],
  ]),
  ...family(Family.KeySelection, [
    ['AUTHZ-KEY-001', 'unknown kid, three times: one JWKS refetch, then the penalty box (no second refetch)', refuse('token_invalid'), 'RFC 8725 §3.10; aws-jwt-verify penalty box'],
    ['AUTHZ-KEY-002', '50 different unknown kids in a burst: the JWKS is refetched at most once', refuse('token_invalid'), 'RFC 8725 §2.9 (DoS through refetch)'],
    ['AUTHZ-KEY-003', 'jku header pointing at an attacker JWKS on 127.0.0.1 that holds the signing key', refuse('token_invalid'), 'RFC 8725 §2.9, §3.10; RFC 7515 §4.1.2'],
    ['AUTHZ-KEY-004', 'x5u header pointing at an attacker server on 127.0.0.1', refuse('token_invalid'), 'RFC 8725 §2.9; RFC 7515 §4.1.5'],
    ['AUTHZ-KEY-005', 'embedded jwk header holding the attacker\'s public key (no kid)', refuse('token_invalid'), 'RFC 7515 §4.1.3; CVE-2018-0114'],
    ['AUTHZ-KEY-006', 'embedded jwk header plus the kid of a published key, signed by the attacker', refuse('token_invalid'), 'RFC 7515 §4.1.3; CVE-2018-0114'],
    ['AUTHZ-KEY-007', 'x5c header with an attacker certificate chain', refuse('token_invalid'), 'RFC 7515 §4.1.6; RFC 8725 §3.10'],
    ['AUTHZ-KEY-008', 'kid "../../../../etc/passwd" (path traversal)', refuse('token_invalid'), 'RFC 8725 §2.9, §3.10'],
    ['AUTHZ-KEY-009', 'kid "\' OR \'1\'=\'1" and "1; DROP TABLE keys" (SQL injection)', refuse('token_invalid'), 'RFC 8725 §2.9, §3.10'],
    ['AUTHZ-KEY-010', 'kid of 6,000 characters', refuse('token_invalid'), 'RFC 8725 §3.10'],
    ['AUTHZ-KEY-011', 'kid that looks like a published one: Cyrillic homoglyph, trailing NUL, zero-width space', refuse('token_invalid'), 'RFC 8725 §3.10'],
    ['AUTHZ-KEY-012', 'kid that is not a string (number, object)', refuse('token_malformed'), 'RFC 7515 §4.1.4'],
    ['AUTHZ-KEY-013', 'a 1024-bit RSA key published in the JWKS, token signed with it', refuse('token_invalid'), 'RFC 7518 §3.3; RFC 8725 §3.5'],
    ['AUTHZ-KEY-014', 'a 1024-bit RSA modulus padded with leading zero bytes to look like 2048 bits', refuse('token_invalid'), 'RFC 7518 §3.3'],
    ['AUTHZ-KEY-015', 'a key published with use "enc", token signed with it', refuse('token_invalid'), 'RFC 7517 §4.2'],
    ['AUTHZ-KEY-016', 'a key published with key_ops ["encrypt"], token signed with it', refuse('token_invalid'), 'RFC 7517 §4.3'],
    ['AUTHZ-KEY-017', 'a token without kid (the issuer publishes one key)', refuse('token_invalid'), 'RFC 8725 §3.10'],
    ['AUTHZ-KEY-018', 'a symmetric (kty oct) key published in the JWKS, HS256 token under its kid', refuse('token_invalid'), 'RFC 8725 §3.1, §3.2'],
    ['AUTHZ-KEY-019', 'RS384 token under a kid whose JWK says alg RS256', refuse('token_invalid'), 'RFC 7517 §4.4; RFC 8725 §3.1'],
    ['AUTHZ-KEY-020', 'token of one configured issuer signed with the key of another (kid of the corporate key)', refuse('token_invalid'), 'RFC 8725 §2.7, §3.8'],
  ]),
  ...family(Family.HeaderSemantics, [
    ['AUTHZ-HDR-001', 'crit ["exp"] with a header exp, signed by the issuer', refuse('token_invalid'), 'RFC 7515 §4.1.11'],
    ['AUTHZ-HDR-002', 'crit [] (empty, which RFC 7515 forbids)', refuse('token_invalid'), 'RFC 7515 §4.1.11'],
    ['AUTHZ-HDR-003', 'b64 false (unencoded payload), with and without crit', refuse('token_invalid'), 'RFC 7797 §3, §6'],
    ['AUTHZ-HDR-004', 'cty "JWT" or "jwt" (a nested token), signed by the issuer', refuse('token_invalid'), 'RFC 7519 §5.2; RFC 8725 §2.3'],
    ['AUTHZ-HDR-005', 'a five-part JWE on a route whose issuers only validate JWTs', refuse('token_malformed'), 'RFC 7516 §7.1; RFC 8725 §2.3'],
    ['AUTHZ-HDR-006', 'enc or zip in the protected header of a signed token', refuse('token_invalid'), 'RFC 7516 §4.1.2; RFC 8725 §2.3'],
    ['AUTHZ-HDR-007', 'an ID token (typ JWT, aud = client id) where the issuer lists tokenTypes ["at+jwt"]', refuse('token_invalid'), 'RFC 9068 §2.1, §4; RFC 8725 §3.11'],
    ['AUTHZ-HDR-008', 'an ID token where the issuer lists audiences but no tokenTypes (aud = client id)', refuse('audience_not_accepted'), 'RFC 8725 §2.8, §3.9'],
    ['AUTHZ-HDR-009', 'typ that is not a string', refuse('token_malformed'), 'RFC 7515 §4.1.9'],
    ['AUTHZ-HDR-010', 'typ "application/at+jwt" and "AT+JWT" (the same media type) where tokenTypes is ["at+jwt"]', allow, 'RFC 7515 §4.1.9; RFC 9068 §2.1'],
  ]),
  ...family(Family.IssuerSsrf, [
    ['AUTHZ-ISS-001', 'unknown issuer (signed by a key of a real issuer): no network call at all', refuse('issuer_not_accepted'), 'RFC 8725 §3.8; RFC 9700 §4.10'],
    ['AUTHZ-ISS-002', 'look-alike issuer with a trailing slash', refuse('issuer_not_accepted'), 'RFC 8725 §3.8'],
    ['AUTHZ-ISS-003', 'look-alike issuer differing in case (HTTPS://IDP.PARTNER.EXAMPLE)', refuse('issuer_not_accepted'), 'RFC 8725 §3.8'],
    ['AUTHZ-ISS-004', 'look-alike issuer with a Unicode homoglyph, and its punycode form', refuse('issuer_not_accepted'), 'RFC 8725 §3.8'],
    ['AUTHZ-ISS-005', 'look-alike issuer with a trailing space, NUL or path', refuse('issuer_not_accepted'), 'RFC 8725 §3.8'],
    ['AUTHZ-ISS-006', 'iss = http://169.254.169.254/latest/meta-data/ (cloud metadata)', refuse('issuer_not_accepted'), 'RFC 8725 §2.9 (SSRF)'],
    ['AUTHZ-ISS-007', 'valid iss with jku = http://169.254.169.254/... and x5u = http://[fd00:ec2::254]/', refuse('token_invalid'), 'RFC 8725 §2.9 (SSRF)'],
    ['AUTHZ-ISS-008', 'iss = an attacker server on 127.0.0.1 serving discovery and a JWKS', refuse('issuer_not_accepted'), 'RFC 8725 §2.9, §3.8'],
    ['AUTHZ-ISS-009', 'iss that is not a string (an array holding the right issuer)', refuse('token_invalid'), 'RFC 7519 §4.1.1'],
    ['AUTHZ-ISS-010', 'a configured issuer that this route does not accept: refused before its JWKS is fetched', refuse('issuer_not_accepted'), 'RFC 8725 §3.8'],
    ['AUTHZ-ISS-011', 'a JWT claiming the introspection-only issuer on a JWT-only route', refuse('issuer_not_accepted'), 'RFC 8725 §3.8'],
    ['AUTHZ-ISS-012', 'missing iss', refuse('issuer_not_accepted'), 'RFC 9068 §2.2'],
  ]),
  ...family(Family.TimeClaims, [
    ['AUTHZ-TIME-001', 'exp one second beyond the allowed skew', refuse('token_expired'), 'RFC 7519 §4.1.4; RFC 8725 §3.10'],
    ['AUTHZ-TIME-002', 'exp exactly at the allowed skew (boundary)', allow, 'RFC 7519 §4.1.4'],
    ['AUTHZ-TIME-003', 'nbf one second beyond the allowed skew', refuse('token_not_yet_valid'), 'RFC 7519 §4.1.5'],
    ['AUTHZ-TIME-004', 'iat in the future beyond the allowed skew', refuse('token_not_yet_valid'), 'RFC 7519 §4.1.6'],
    ['AUTHZ-TIME-005', 'no exp (RFC 9068 requires it)', refuse('token_invalid'), 'RFC 9068 §2.2'],
    ['AUTHZ-TIME-006', 'exp as a string of digits', refuse('token_invalid'), 'RFC 7519 §2 NumericDate'],
    ['AUTHZ-TIME-007', 'exp = 1e400 (parses to Infinity)', refuse('token_invalid'), 'RFC 7519 §2 NumericDate'],
    ['AUTHZ-TIME-008', 'exp 0 and exp negative', refuse('token_expired'), 'RFC 7519 §4.1.4'],
    ['AUTHZ-TIME-009', 'exp null, true, an object', refuse('token_invalid'), 'RFC 7519 §2 NumericDate'],
    ['AUTHZ-TIME-010', 'nbf or iat as strings', refuse('token_invalid'), 'RFC 7519 §2 NumericDate'],
    ['AUTHZ-TIME-011', 'a remembered (memoised) token presented after its exp', refuse('token_expired'), 'RFC 7519 §4.1.4'],
  ]),
  ...family(Family.AudienceScope, [
    ['AUTHZ-AUD-001', 'aud of another service', refuse('audience_not_accepted'), 'RFC 8725 §3.9; RFC 9068 §4'],
    ['AUTHZ-AUD-002', 'no aud where the issuer lists audiences', refuse('audience_not_accepted'), 'RFC 9068 §4'],
    ['AUTHZ-AUD-003', 'aud [] (empty list)', refuse('audience_not_accepted'), 'RFC 7519 §4.1.3'],
    ['AUTHZ-AUD-004', 'aud as a number, an object, or a list holding a number', refuse('token_invalid'), 'RFC 7519 §4.1.3'],
    ['AUTHZ-AUD-005', 'look-alike aud: trailing slash, other case', refuse('audience_not_accepted'), 'RFC 8725 §3.9'],
    ['AUTHZ-AUD-006', 'aud list holding the accepted audience and others', allow, 'RFC 7519 §4.1.3'],
    ['AUTHZ-SCOPE-001', 'valid token without the required scope', refuse('insufficient_scope'), 'RFC 6750 §3.1; RFC 9068 §4'],
    ['AUTHZ-SCOPE-002', 'scope prefix look-alikes: "orders:reader", "orders:read:all", "ORDERS:READ"', refuse('insufficient_scope'), 'RFC 6749 §3.3'],
    ['AUTHZ-SCOPE-003', 'scope joined with commas or tabs instead of spaces', refuse('insufficient_scope'), 'RFC 6749 §3.3'],
    ['AUTHZ-SCOPE-004', 'scope as an array holding a non-string (an array of strings is read, as Spring Authorization Server writes it)', refuse('token_invalid'), 'RFC 9068 §2.2.3'],
    ['AUTHZ-SCOPE-005', 'scp array holding a non-string next to the required scope', refuse('insufficient_scope'), 'RFC 9068 §2.2.3'],
    ['AUTHZ-SCOPE-006', 'scope string without the required scope but scp array with it (scope wins)', refuse('insufficient_scope'), 'RFC 9068 §2.2.3'],
  ]),
  ...family(Family.ParserAbuse, [
    ['AUTHZ-PARSE-001', 'base64 padding "=" on a part', refuse('token_malformed'), 'RFC 7515 §2; RFC 8725 §2.6'],
    ['AUTHZ-PARSE-002', 'standard base64 "+" and "/" instead of base64url', refuse('token_malformed'), 'RFC 7515 §2'],
    ['AUTHZ-PARSE-003', 'non-canonical trailing bits in the signature (decodes to the same bytes)', refuse('token_malformed'), 'RFC 4648 §3.5; RFC 8725 §2.6'],
    ['AUTHZ-PARSE-004', 'a token one character over maxTokenLength: refused before decoding', refuse('token_malformed'), 'RFC 8725 §3.4 (bounded input)'],
    ['AUTHZ-PARSE-005', 'a 100 KB Authorization header', refuse('token_malformed'), 'RFC 9110 §5.4'],
    ['AUTHZ-PARSE-006', 'four and seven dot-separated parts', refuse('token_malformed'), 'RFC 7515 §7.1'],
    ['AUTHZ-PARSE-007', 'two parts ("header.payload") on a JWT-only route', refuse('token_malformed'), 'RFC 7515 §7.1'],
    ['AUTHZ-PARSE-008', 'empty parts ("..", "a..b")', refuse('token_malformed'), 'RFC 7515 §7.1'],
    ['AUTHZ-PARSE-009', 'header or payload that is JSON but not an object (array, string, number, null)', refuse('token_malformed'), 'RFC 7515 §4; RFC 7519 §7.2'],
    ['AUTHZ-PARSE-010', 'payload that is not UTF-8 (invalid bytes, lone surrogate encoding)', refuse('token_malformed'), 'RFC 8725 §3.7'],
    ['AUTHZ-PARSE-011', 'JSON with trailing garbage after the object', refuse('token_malformed'), 'RFC 8259 §2'],
    ['AUTHZ-PARSE-012', 'duplicate "scope" claims signed by the issuer: the last one counts, in the authorizer and in the exchange Lambda alike', refuse('insufficient_scope'), 'RFC 7519 §4; RFC 7515 §5.2 step 4'],
    ['AUTHZ-PARSE-013', 'duplicate "alg" in the header ({"alg":"none","alg":"RS256"}, signed): last one, RS256, is verified', allow, 'RFC 7515 §5.2 step 4'],
    ['AUTHZ-PARSE-014', '"__proto__" claim carrying the required scope: no prototype pollution, no scope', refuse('insufficient_scope'), 'RFC 8725 §3.10 (do not trust received claims)'],
    ['AUTHZ-PARSE-015', '"constructor"/"prototype" claims and header members: no pollution, refused', refuse('insufficient_scope'), 'RFC 8725 §3.10'],
    ['AUTHZ-PARSE-016', '"__proto__" header member carrying alg (no own alg)', refuse('token_malformed'), 'RFC 7515 §4.1.1'],
    ['AUTHZ-PARSE-017', 'deeply nested JSON (2,000 levels) in the payload', refuse('token_invalid'), 'RFC 8259 §9'],
    ['AUTHZ-PARSE-018', 'control characters, spaces or a NUL inside the token', refuse('token_malformed'), 'RFC 6750 §2.1 (b64token)'],
    ['AUTHZ-PARSE-019', 'a UTF-8 BOM before the header JSON, signed by the issuer: ignored, as RFC 8259 allows', allow, 'RFC 8259 §8.1; RFC 8725 §3.7'],
  ]),
  ...family(Family.HttpHeaders, [
    ['AUTHZ-HTTP-001', 'no Authorization header (REST TOKEN and REQUEST events reach the authorizer without one)', refuse('token_missing'), 'RFC 6750 §3.1'],
    ['AUTHZ-HTTP-002', 'Basic, DPoP and MAC schemes', refuse('token_missing'), 'RFC 6750 §2.1'],
    ['AUTHZ-HTTP-003', '"Bearer" with no token, and "Bearer " with only spaces', refuse('token_malformed'), 'RFC 6750 §2.1'],
    ['AUTHZ-HTTP-004', 'two Authorization headers (REST multi-value) with two different tokens', refuse('token_malformed'), 'RFC 9110 §5.3; RFC 6750 §2'],
    ['AUTHZ-HTTP-005', 'two bearer tokens comma-joined (how HTTP APIs deliver repeated headers)', refuse('token_malformed'), 'RFC 9110 §5.3'],
    ['AUTHZ-HTTP-006', 'access_token in the query string next to a valid header', refuse('token_malformed'), 'RFC 6750 §2.3, §5.3; RFC 9700 §4.3'],
    ['AUTHZ-HTTP-007', 'ACCESS_TOKEN / Access_Token query parameter, and one only in an HTTP API raw query', refuse('token_malformed'), 'RFC 6750 §2.3; RFC 9700'],
    ['AUTHZ-HTTP-008', 'authorization and AUTHORIZATION both present in a REST header map', refuse('token_malformed'), 'RFC 9110 §5.1'],
    ['AUTHZ-HTTP-009', 'scheme in another case ("bEaReR") with a valid token', allow, 'RFC 9110 §11.1 (schemes are case-insensitive)'],
    ['AUTHZ-HTTP-010', 'a token in a form body (RFC 6750 §2.2)', refuse('token_missing'), 'RFC 6750 §2.2', { reason: 'API Gateway never passes the body to an authorizer, and no gatepass code reads a form-encoded access_token; there is nothing to execute' }],
  ]),
  ...family(Family.Introspection, [
    ['AUTHZ-INTRO-001', 'introspection answers "active": "true" (a string)', refuse('token_invalid'), 'RFC 7662 §2.2'],
    ['AUTHZ-INTRO-002', 'introspection answers "active": 1, and "active": false', refuse('token_invalid'), 'RFC 7662 §2.2'],
    ['AUTHZ-INTRO-003', 'introspection answers with another issuer', refuse('issuer_not_accepted'), 'RFC 7662 §4'],
    ['AUTHZ-INTRO-004', 'introspection answers an exp in the past', refuse('token_expired'), 'RFC 7662 §2.2'],
    ['AUTHZ-INTRO-005', 'introspection answers exp as a string', refuse('token_invalid'), 'RFC 7662 §2.2'],
    ['AUTHZ-INTRO-006', 'introspection answers nbf in the future', refuse('token_not_yet_valid'), 'RFC 7662 §2.2'],
    ['AUTHZ-INTRO-007', 'introspection answers non-JSON, a JSON array, or JSON null', refuse('token_invalid'), 'RFC 7662 §2.2'],
    ['AUTHZ-INTRO-008', 'introspection endpoint answers 500, twice: never cached, asked again', refuse('token_invalid'), 'RFC 7662 §4'],
    ['AUTHZ-INTRO-009', 'introspection endpoint slower than its timeout', refuse('token_invalid'), 'RFC 7662 §4'],
    ['AUTHZ-INTRO-010', 'introspection answer larger than introspection.maxBytes', refuse('token_invalid'), 'RFC 7662 §4'],
    ['AUTHZ-INTRO-011', 'introspection endpoint redirects to an attacker server: not followed', refuse('token_invalid'), 'RFC 9110 §15.4; RFC 8725 §2.9'],
    ['AUTHZ-INTRO-012', 'active answer without the required scope', refuse('insufficient_scope'), 'RFC 7662 §2.2'],
    ['AUTHZ-INTRO-013', 'a cached positive answer is not used past the token\'s exp', refuse('token_expired'), 'RFC 7662 §4'],
    ['AUTHZ-INTRO-014', 'Secrets Manager fails for the introspection credentials', refuse('token_invalid'), 'RFC 7662 §2.1'],
    ['AUTHZ-INTRO-015', 'an opaque token on a route whose issuers do not introspect: no call anywhere', refuse('token_malformed'), 'RFC 7662 §4'],
  ]),
  ...family(Family.JwksFaults, [
    ['AUTHZ-JWKS-001', 'JWKS endpoint answers 503: refused, then the penalty box holds further fetches', refuse('token_invalid'), 'RFC 8725 §3.10'],
    ['AUTHZ-JWKS-002', 'JWKS endpoint slower than jwks.fetchTimeoutMs', refuse('token_invalid'), 'RFC 8725 §3.10'],
    ['AUTHZ-JWKS-003', 'JWKS larger than jwks.maxBytes', refuse('token_invalid'), 'RFC 8725 §3.10'],
    ['AUTHZ-JWKS-004', 'JWKS that is not JSON, has no keys array, or keys is an object', refuse('token_invalid'), 'RFC 7517 §5'],
    ['AUTHZ-JWKS-005', 'JWKS with more keys than jwks.maxKeys', refuse('token_invalid'), 'RFC 7517 §5'],
    ['AUTHZ-JWKS-006', 'JWKS endpoint redirects to an attacker JWKS: not followed', refuse('token_invalid'), 'RFC 9110 §15.4; RFC 8725 §2.9'],
    ['AUTHZ-JWKS-007', 'JWKS endpoint answers 404 with a valid JWKS body', refuse('token_invalid'), 'RFC 7517 §5'],
    ['AUTHZ-JWKS-008', 'JWKS endpoint resets the connection', refuse('token_invalid'), 'RFC 8725 §3.10'],
    ['AUTHZ-JWKS-009', 'a key removed at the IdP stops verifying after jwks.maxAgeSeconds', refuse('token_invalid'), 'RFC 7517 §5; RFC 8725 §3.10'],
    ['AUTHZ-JWKS-010', 'JWKS refresh fails after maxAge: the cached keys keep serving (availability), refresh retried after the penalty', allow, 'gatepass design (docs/design.md "Request path")'],
  ]),
  ...family(Family.CachedPolicy, [
    ['AUTHZ-CACHE-001', 'REST allow policy names only the matched route (method and template), never "*"', allow, 'RFC 9700 §2.3 (privilege restriction)'],
    ['AUTHZ-CACHE-002', 'a remembered token on a route needing another scope', refuse('insufficient_scope'), 'RFC 9700 §2.3'],
    ['AUTHZ-CACHE-003', 'a remembered token on a route that does not accept its issuer', refuse('issuer_not_accepted'), 'RFC 8725 §3.8'],
    ['AUTHZ-CACHE-004', 'a cached allow for one route delivered on another route to the exchange Lambda', refuse('gateway_misconfigured'), 'RFC 9700 §2.3'],
    ['AUTHZ-CACHE-005', 'a cached allow whose tokenId does not match the token the request carries', refuse('token_invalid'), 'RFC 9700 §4.10'],
    ['AUTHZ-CACHE-006', 'a cached allow that outlived the token (context expiresAt past)', refuse('token_expired'), 'RFC 7519 §4.1.4'],
    ['AUTHZ-CACHE-007', 'TOKEN authorizer allow for GET /orders/{id} replayed from cache on the nested route GET /orders/{id}/items: the policy wildcard covers it, the exchange Lambda refuses', refuse('gateway_misconfigured'), 'RFC 9700 §2.3'],
    ['AUTHZ-CACHE-008', 'a request without an authorizer context at all (authorizer detached from the route)', refuse('gateway_misconfigured'), 'gatepass design (docs/design.md "Request path")'],
  ]),
  ...family(Family.TokenResponse, [
    ['EXCH-RESP-001', 'token endpoint answers 200 with a body that is not JSON', refuse('exchange_bad_response'), 'RFC 6749 §5.1'],
    ['EXCH-RESP-002', 'token endpoint answers 200 with a JSON array, string or null', refuse('exchange_bad_response'), 'RFC 6749 §5.1'],
    ['EXCH-RESP-003', 'token endpoint answers 200 with Content-Type text/html (a captive portal)', refuse('exchange_bad_response'), 'RFC 6749 §5.1'],
    ['EXCH-RESP-004', 'no access_token, or an empty one, or a number', refuse('exchange_bad_response'), 'RFC 8693 §2.2.1'],
    ['EXCH-RESP-005', 'access_token carrying CR LF (header injection upstream) or a space', refuse('exchange_bad_response'), 'RFC 6750 §2.1; RFC 9110 §5.5'],
    ['EXCH-RESP-006', 'issued_token_type missing, or another type than requested', refuse('exchange_bad_response'), 'RFC 8693 §2.2.1'],
    ['EXCH-RESP-007', 'token_type DPoP, MAC, N_A for an access token, or missing', refuse('exchange_bad_response'), 'RFC 8693 §2.2.1; RFC 9449'],
    ['EXCH-RESP-008', 'expires_in 0, negative, "soon", true or null', refuse('exchange_bad_response'), 'RFC 6749 §5.1'],
    ['EXCH-RESP-009', 'scope that is not a string, or holds characters no scope may hold', refuse('exchange_bad_response'), 'RFC 6749 §3.3'],
    ['EXCH-RESP-010', '"__proto__" member carrying access_token (no own access_token)', refuse('exchange_bad_response'), 'RFC 8693 §2.2.1'],
    ['EXCH-RESP-011', '204 No Content', refuse('exchange_bad_response'), 'RFC 6749 §5.1'],
    ['EXCH-RESP-012', 'duplicate scope members: the last one counts, and a broader last one is refused', refuse('exchange_not_narrower'), 'RFC 8259 §4; RFC 8693 §2.2.1'],
  ]),
  ...family(Family.OAuthErrors, [
    ['EXCH-ERR-001', 'invalid_grant (subject token refused by the authorization server)', refuse('exchange_denied'), 'RFC 8693 §2.2.2; RFC 6749 §5.2'],
    ['EXCH-ERR-002', 'invalid_target, invalid_scope, unauthorized_client, access_denied, invalid_request', refuse('exchange_denied'), 'RFC 8693 §2.2.2'],
    ['EXCH-ERR-003', 'an unknown extension error code with 400', refuse('exchange_denied'), 'RFC 6749 §5.2'],
    ['EXCH-ERR-004', 'unsupported_grant_type', refuse('gateway_misconfigured'), 'RFC 6749 §5.2'],
    ['EXCH-ERR-005', 'invalid_client and the secret has not changed', refuse('gateway_misconfigured'), 'RFC 6749 §5.2'],
    ['EXCH-ERR-006', 'temporarily_unavailable / server_error, every attempt', refuse('exchange_unavailable'), 'RFC 6749 §5.2, §4.1.2.1'],
    ['EXCH-ERR-007', '400 with a body that is not an OAuth error', refuse('exchange_bad_response'), 'RFC 6749 §5.2'],
    ['EXCH-ERR-008', 'an invalid_grant from the real authorization server (untrusted subject token audience)', refuse('exchange_denied'), 'RFC 8693 §2.2.2'],
  ]),
  ...family(Family.Rotation, [
    ['EXCH-ROT-001', 'client secret rotated: the old one is refused, the re-read one is accepted', forward(), 'RFC 6749 §2.3.1'],
    ['EXCH-ROT-002', 'secret rotated at the authorization server only: refused after one re-read, logged and counted', refuse('gateway_misconfigured'), 'RFC 6749 §2.3.1'],
    ['EXCH-ROT-003', 'the secret is rotated to a value that is not JSON', refuse('gateway_misconfigured'), 'RFC 6749 §2.3.1'],
  ]),
  ...family(Family.Availability, [
    ['EXCH-AVAIL-001', '429 with a Retry-After beyond the deadline: stop at once, pass Retry-After on', refuse('exchange_unavailable'), 'RFC 6585 §4; RFC 9110 §10.2.3'],
    ['EXCH-AVAIL-002', '503 on every attempt', refuse('exchange_unavailable'), 'RFC 9110 §15.6.4'],
    ['EXCH-AVAIL-003', 'headers slower than requestTimeoutMs', refuse('exchange_unavailable'), 'RFC 8693 §5'],
    ['EXCH-AVAIL-004', 'a body that trickles slower than requestTimeoutMs', refuse('exchange_unavailable'), 'RFC 8693 §5'],
    ['EXCH-AVAIL-005', 'a body over maxResponseBytes, with Content-Length', refuse('exchange_bad_response'), 'RFC 8693 §5'],
    ['EXCH-AVAIL-006', 'a body over maxResponseBytes, chunked', refuse('exchange_bad_response'), 'RFC 8693 §5'],
    ['EXCH-AVAIL-007', '302 to an attacker token endpoint on 127.0.0.1: not followed, nothing sent there', refuse('exchange_bad_response'), 'RFC 9700 §4.11 (open redirection); RFC 9110 §15.4'],
    ['EXCH-AVAIL-008', '307 and 308 redirects (which would resend the subject token)', refuse('exchange_bad_response'), 'RFC 9110 §15.4.8'],
    ['EXCH-AVAIL-009', 'the connection is reset, every attempt', refuse('exchange_unavailable'), 'RFC 8693 §5'],
    ['EXCH-AVAIL-010', 'nothing listens on the token endpoint', refuse('exchange_unavailable'), 'RFC 8693 §5'],
    ['EXCH-AVAIL-011', 'the token endpoint never answers', refuse('exchange_unavailable'), 'RFC 8693 §5'],
    ['EXCH-AVAIL-012', 'the circuit opens after consecutive failures and then fails fast without calling the server', refuse('exchange_unavailable'), 'gatepass design (circuit breaker)'],
    ['EXCH-AVAIL-013', 'one 503, then a valid answer: retried inside the deadline', forward(), 'RFC 9110 §15.6.4'],
  ]),
  ...family(Family.Narrowing, [
    ['EXCH-NARROW-001', 'answer scope broader than requested', refuse('exchange_not_narrower'), 'RFC 8693 §2.2.1, §5; RFC 9700 §2.3'],
    ['EXCH-NARROW-002', 'answer omits scope but the issued JWT carries a broader one', refuse('exchange_not_narrower'), 'RFC 8693 §2.2.1'],
    ['EXCH-NARROW-003', 'answer scope narrow, issued JWT scp broader', refuse('exchange_not_narrower'), 'RFC 8693 §5'],
    ['EXCH-NARROW-004', 'same-issuer downscoping granted beyond the subject token\'s own scopes', refuse('exchange_not_narrower'), 'RFC 8693 §5'],
    ['EXCH-NARROW-005', 'a lax real authorization server (oidc-provider) that adds scopes to every token', refuse('exchange_not_narrower'), 'RFC 8693 §5'],
    ['EXCH-NARROW-006', 'a broader grant is never cached: the next request asks again', refuse('exchange_not_narrower'), 'RFC 8693 §5'],
  ]),
  ...family(Family.IssuedAudience, [
    ['EXCH-AUD-001', 'issued JWT whose aud is another service than the one requested', refuse('exchange_not_narrower'), 'RFC 8693 §2.1, §5; RFC 8707 §2; RFC 9068 §4'],
    ['EXCH-AUD-002', 'issued JWT whose aud lists the requested audience and another service', refuse('exchange_not_narrower'), 'RFC 8707 §2; RFC 9700 §2.3'],
    ['EXCH-AUD-003', 'issued JWT without aud although an audience was requested', refuse('exchange_not_narrower'), 'RFC 9068 §2.2'],
    ['EXCH-AUD-004', 'issued JWT whose aud is exactly the requested audience or resource', forward(), 'RFC 8707 §2'],
    ['EXCH-AUD-005', 'opaque issued token (aud unreadable): forwarded; the upstream must check its audience itself', forward(), 'RFC 8693 §2.2.1 (documented limit)'],
    ['EXCH-AUD-006', 'route requests no audience or resource: the authorization server\'s choice of aud is accepted', forward(), 'RFC 8693 §2.1 (documented limit)'],
  ]),
  ...family(Family.Delegation, [
    ['EXCH-ACT-001', 'subject token with an act chain deeper than maxActDepth: no token endpoint call', refuse('exchange_denied'), 'RFC 8693 §4.1'],
    ['EXCH-ACT-002', 'a hostile act chain 500 levels deep: bounded walk, no crash', refuse('exchange_denied'), 'RFC 8693 §4.1'],
    ['EXCH-ACT-003', 'may_act naming another actor than the gateway', refuse('exchange_denied'), 'RFC 8693 §4.4'],
    ['EXCH-ACT-004', 'may_act that names no sub, iss or client_id (or is not an object)', refuse('exchange_denied'), 'RFC 8693 §4.4'],
    ['EXCH-ACT-005', 'actor header missing', refuse('exchange_denied'), 'RFC 8693 §2.1'],
    ['EXCH-ACT-006', 'actor header repeated, or two tokens comma-joined', refuse('exchange_denied'), 'RFC 8693 §2.1'],
    ['EXCH-ACT-007', 'an opaque actor token while may_act must be enforced', refuse('exchange_denied'), 'RFC 8693 §4.4'],
    ['EXCH-ACT-008', 'a forged header actor token that passes the may_act pre-filter: the authorization server refuses it', refuse('exchange_denied'), 'RFC 8693 §2.1, §4.4'],
    ['EXCH-ACT-009', 'a legitimate delegation: the issued token carries act, the actor header is never forwarded', forward(), 'RFC 8693 §4.1'],
  ]),
  ...family(Family.CacheKey, [
    ['EXCH-KEY-001', 'two subjects on one route: each upstream call carries its own subject\'s token', forward(), 'RFC 8693 §5'],
    ['EXCH-KEY-002', 'one subject, two header actors: two entries, each token names its own actor', forward(), 'RFC 8693 §4.1'],
    ['EXCH-KEY-003', 'one subject on two routes asking for different audiences and scopes: two entries', forward(), 'RFC 8707 §2'],
    ['EXCH-KEY-004', 'a table item copied to another subject\'s pk: not served, exchanged afresh', forward(), 'gatepass design (sealed items)'],
    ['EXCH-KEY-005', 'a table item whose sealed token was tampered with: not served', forward(), 'gatepass design (sealed items)'],
    ['EXCH-KEY-006', 'the cache key secret changes between containers: old items are never read', forward(), 'gatepass design (key rotation flushes)'],
  ]),
  ...family(Family.Expiry, [
    ['EXCH-EXP-001', 'a table item past expiresAt that DynamoDB has not deleted yet (TTL lateness)', forward(), 'DynamoDB TTL semantics; gatepass design'],
    ['EXCH-EXP-002', 'an issued token outliving the subject token: the entry ends with the subject token minus the margin', forward(), 'RFC 8693 §5'],
    ['EXCH-EXP-003', 'a subject token inside the refresh margin: the issued token is used once and not cached', forward(), 'gatepass design'],
    ['EXCH-EXP-004', 'a huge expires_in (10^12 s) is capped by the subject token', forward(), 'RFC 6749 §5.1'],
  ]),
  ...family(Family.DynamoDb, [
    ['EXCH-DDB-001', 'DynamoDB stopped: exchanged directly, the request succeeds', forward(), 'gatepass design (the table is an optimisation)'],
    ['EXCH-DDB-002', 'DynamoDB accepts connections but never answers: bounded by tableTimeoutMs', forward(), 'gatepass design'],
    ['EXCH-DDB-003', 'DynamoDB throttles (ProvisionedThroughputExceeded)', forward(), 'gatepass design'],
    ['EXCH-DDB-004', 'DynamoDB denies access (AccessDeniedException)', forward(), 'gatepass design'],
    ['EXCH-DDB-005', 'an item with missing or mistyped attributes', forward(), 'gatepass design'],
    ['EXCH-DDB-006', 'DynamoDB restarted empty: the next container exchanges and writes again', forward(), 'gatepass design'],
  ]),
  ...family(Family.SecretsManager, [
    ['EXCH-SM-001', 'client secret does not exist (ResourceNotFoundException)', refuse('gateway_misconfigured'), 'AWS Secrets Manager GetSecretValue errors'],
    ['EXCH-SM-002', 'client secret read denied (AccessDeniedException)', refuse('gateway_misconfigured'), 'AWS Secrets Manager GetSecretValue errors'],
    ['EXCH-SM-003', 'Secrets Manager throttles or fails (ThrottlingException, InternalServiceError)', refuse('exchange_unavailable'), 'AWS Secrets Manager GetSecretValue errors'],
    ['EXCH-SM-004', 'client secret that is not JSON or lacks client_secret', refuse('gateway_misconfigured'), 'RFC 6749 §2.3.1'],
    ['EXCH-SM-005', 'Secrets Manager unreachable', refuse('exchange_unavailable'), 'AWS Secrets Manager GetSecretValue errors'],
    ['EXCH-SM-006', 'cache key secret cannot be read now: exchanged directly', forward(), 'gatepass design'],
    ['EXCH-SM-007', 'cache key secret shorter than 32 characters', refuse('gateway_misconfigured'), 'docs/design.md "Cache"'],
  ]),
  ...family(Family.Concurrency, [
    ['EXCH-CONC-001', '100 concurrent identical requests: one token endpoint call', forward(), 'docs/design.md "Cache" (single flight)'],
    ['EXCH-CONC-002', 'a failing leader: 20 concurrent requests share its error, nothing is cached, the next request succeeds', refuse('exchange_unavailable'), 'docs/design.md "Cache"'],
    ['EXCH-CONC-003', '40 subjects concurrently: no request ever receives another subject\'s token', forward(), 'RFC 8693 §5'],
  ]),
  ...family(Family.Upstream, [
    ['EXCH-UP-001', 'upstream answers 401 to a cached token: evicted, exchanged once more, retried once', forward(), 'RFC 6750 §3.1'],
    ['EXCH-UP-002', 'upstream answers 401 to a fresh token: passed on, no exchange loop', forward(401), 'RFC 6750 §3.1'],
    ['EXCH-UP-003', 'upstream never answers', refuse('upstream_timeout'), 'RFC 9110 §15.6.5'],
    ['EXCH-UP-004', 'nothing listens on the upstream', refuse('upstream_unavailable'), 'RFC 9110 §15.6.3'],
    ['EXCH-UP-005', 'upstream answer larger than a Lambda response can carry', refuse('upstream_unavailable'), 'AWS Lambda quotas'],
    ['EXCH-UP-006', 'path parameter with ../ (also percent-encoded twice): nothing forwarded', refuse('request_invalid'), 'RFC 3986 §5.2.4'],
    ['EXCH-UP-007', 'upstream redirects to another host: not followed, the token never goes there', forward(302), 'RFC 9110 §15.4'],
    ['EXCH-UP-008', 'Host and X-Forwarded-Host pointing elsewhere: the configured upstream is called', forward(), 'RFC 9110 §7.2'],
    ['EXCH-UP-009', 'the caller\'s own token never reaches the upstream on an exchange route', forward(), 'RFC 8693 §1'],
    ['EXCH-UP-010', 'path parameter ".. " or "..%00" that Windows, IIS, a trimming URL parser or C code reads as ".."', refuse('request_invalid'), 'RFC 3986 §5.2.4; CWE-22'],
  ]),
  ...family(Family.Mcp, [
    ['EXCH-MCP-001', 'a valid token of an accepted issuer, meant for another MCP server (aud names another resource, or a trailing-slash variant of this one)', refuse('audience_not_accepted'), 'RFC 8707 §2; MCP authorization 2025-06-18 "Token Handling"'],
    ['EXCH-MCP-002', 'the caller\'s token passed through to the MCP upstream on a route that exchanges, also with a forged passthrough context in the event', forward(), 'MCP authorization 2025-06-18 "Token Handling" (MUST NOT transit other tokens); MCP security best practices "Token Passthrough"'],
    ['EXCH-MCP-003', 'protected resource metadata naming an authorization server the route does not accept (Host, X-Forwarded-Host, query or a forged context steering it)', answer(), 'RFC 9728 §2, §3.3; MCP authorization 2025-06-18 "Authorization Server Location"'],
  ]),
  ...family(Family.LogHygiene, [
    ['LOG-001', 'canary tokens through every authorizer path (Powertools logger, real handler module)', noLeak, 'RFC 6750 §5.3; RFC 9700 §4.3'],
    ['LOG-002', 'aws-jwt-verify and JWKS fetch errors for canary tokens', noLeak, 'RFC 6750 §5.3'],
    ['LOG-003', 'introspection failures with a canary opaque token and canary client secret', noLeak, 'RFC 7662 §4'],
    ['LOG-004', 'oidc-provider error answers (error_description quoting the canary) through the exchange handler', noLeak, 'RFC 6749 §5.2'],
    ['LOG-005', 'AWS SDK errors whose message holds a canary (Secrets Manager faults)', noLeak, 'RFC 6750 §5.3'],
    ['LOG-006', 'jose errors from a private_key_jwt secret with a canary private key', noLeak, 'RFC 7523 §3'],
    ['LOG-007', 'DynamoDB errors, and table items holding canary tokens (sealed)', noLeak, 'RFC 6750 §5.3'],
    ['LOG-008', 'canary client secrets on rotation and rejection (exchange.client_rejected)', noLeak, 'RFC 6749 §2.3.1'],
  ]),
  ...family(Family.OutOfScope, [
    ['OOS-001', 'a compromised issuer or authorization server signing key', refuse('token_invalid'), 'RFC 8725 §2; docs/security-model.md "Trust boundaries"', { reason: 'trusted by design: gatepass validates against the keys an issuer publishes; a stolen signing key makes valid tokens' }],
    ['OOS-002', 'replay of a stolen, still-valid bearer token', refuse('token_invalid'), 'RFC 6750 §5.2; RFC 9449', { reason: 'bearer tokens are replayable by definition (RFC 6750); sender-constrained tokens (DPoP, mTLS) are not supported' }],
    ['OOS-003', 'revocation of a JWT before its exp', refuse('token_invalid'), 'RFC 7009', { reason: 'a JWT cannot be checked for revocation without a call; bounded by exp, the memo age and the API Gateway authorizer cache TTL (documented)' }],
    ['OOS-004', 'TLS certificate validation of configured https endpoints', refuse('exchange_unavailable'), 'RFC 9110 §4.3.4', { reason: 'all servers here are loopback http; Node verifies certificates by default and the configuration refuses http outside loopback (test/unit/shared/config-validator.test.ts)' }],
    ['OOS-005', 'DNS rebinding of a configured hostname to an internal address', refuse('token_invalid'), 'RFC 8725 §2.9', { reason: 'needs a resolver under test control; gatepass only resolves hostnames an operator configured' }],
    ['OOS-006', 'timing side channels in signature or HMAC comparison', refuse('token_invalid'), 'RFC 8725 §2.1', { reason: 'comparisons happen in OpenSSL (node:crypto); measuring them needs timed assertions, which these suites never make' }],
    ['OOS-007', 'API Gateway\'s own authorizer result cache (TTL, identity sources) in AWS', allow, 'docs/deploy.md "The authorizer cache TTL"', { reason: 'needs AWS; the CDK template\'s identity sources are asserted in test/infra, and AUTHZ-CACHE-00x cover what gatepass decides' }],
    ['OOS-008', 'an upstream that accepts tokens without validating them', forward(), 'RFC 9068 §4', { reason: 'outside gatepass: the upstream is trusted to validate the token it receives (docs/security-model.md "Trust boundaries")' }],
  ]),
];

const catalogueById: ReadonlyMap<string, Threat> = new Map(threatCatalogue.map((t) => [t.id, t]));

export function threat(id: string): Threat {
  const found = catalogueById.get(id);
  if (!found) throw new Error(`no catalogue case ${id}`);
  return found;
}

export function describeExpected(expected: ExpectedOutcome): string {
  switch (expected.kind) {
    case 'allow':
      return 'allow';
    case 'refuse':
      return `${expected.status} ${expected.code}`;
    case 'forward':
      return `forwarded, ${expected.status}`;
    case 'answer':
      return `answered by gatepass, ${expected.status}`;
    case 'no-leak':
      return '0 occurrences';
  }
}
