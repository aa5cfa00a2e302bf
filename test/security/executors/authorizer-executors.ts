import { constants, createPublicKey, sign as cryptoSign } from 'node:crypto';
import { expect } from 'vitest';
import { LEGACY_ISSUER, PARTNER_ISSUER } from '../../support/authorizer-harness.js';
import { base64url, generateTestKey, signHmac, signRaw } from '../../support/token-minter.js';
import { API_AUD, ORDERS_READ, REPORTS, type AuthorizerKit, type AuthorizerProbe, type ProbeRequest } from '../support/authorizer-kit.js';

/**
 * One executor per automated AUTHZ-* case of the threat catalogue (except the cached-policy
 * cases that need the exchange Lambda: exchange-executors.ts). Each returns the probes it
 * made; the runner compares every probe with the catalogue's expected outcome. Extra facts
 * a case is about (no request to the attacker, fetch counts) are asserted here.
 */
export type AuthorizerExecutor = (kit: AuthorizerKit) => Promise<readonly AuthorizerProbe[]>;

const bearer = (token: string) => `Bearer ${token}`;
const on = (token: string, extra: ProbeRequest = {}): ProbeRequest => ({ ...ORDERS_READ, authorization: bearer(token), ...extra });
const nowS = () => Math.floor(Date.now() / 1000);

/** Several requests, every probe collected. */
async function all(kit: AuthorizerKit, requests: readonly ProbeRequest[]): Promise<AuthorizerProbe[]> {
  const probes: AuthorizerProbe[] = [];
  for (const request of requests) probes.push(...(await kit.probe(request)));
  return probes;
}

/** `header.payload.` + a raw signature. */
function withSignature(header: unknown, payload: unknown, signature: Buffer | string): string {
  const sig = typeof signature === 'string' ? signature : signature.toString('base64url');
  return `${base64url(header)}.${base64url(payload)}.${sig}`;
}

/** The order of P-256 (FIPS 186-4 D.1.2.3). */
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

/** DER SEQUENCE { INTEGER r, INTEGER s } for a JOSE R||S signature. */
function p1363ToDer(signature: Buffer): Buffer {
  const half = signature.length / 2;
  const integer = (bytes: Buffer) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let value = bytes.subarray(start);
    if (value[0]! & 0x80) value = Buffer.concat([Buffer.from([0]), value]);
    return Buffer.concat([Buffer.from([0x02, value.length]), value]);
  };
  const body = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** Attacker signs; the token must never be allowed and the attacker server never asked. */
async function neverFetched(kit: AuthorizerKit, tokens: readonly string[]): Promise<AuthorizerProbe[]> {
  const probes = await all(kit, tokens.map((t) => on(t)));
  expect(kit.attackerRequests).toBe(0);
  return probes;
}

export const authorizerExecutors: Readonly<Record<string, AuthorizerExecutor>> = {
  // ── algorithm attacks ────────────────────────────────────────────────────────────
  'AUTHZ-ALG-001': async (kit) => {
    const token = `${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(kit.claims())}.`;
    const probes = await kit.probe(on(token));
    expect(kit.idpRequests).toBe(0);
    return probes;
  },
  'AUTHZ-ALG-002': (kit) =>
    all(
      kit,
      ['None', 'NONE', 'nOnE'].map((alg) => on(`${base64url({ alg, kid: kit.keys.partnerRs.kid })}.${base64url(kit.claims())}.`)),
    ),
  'AUTHZ-ALG-003': (kit) => {
    const pub = createPublicKey({ key: kit.keys.partnerRs.publicJwk as never, format: 'jwk' });
    const secrets = [
      Buffer.from(JSON.stringify(kit.keys.partnerRs.publicJwk)),
      Buffer.from(pub.export({ type: 'spki', format: 'pem' }) as string),
      Buffer.from(pub.export({ type: 'pkcs1', format: 'pem' }) as string),
      pub.export({ type: 'spki', format: 'der' }) as Buffer,
    ];
    return all(kit, secrets.map((secret) => on(signHmac(secret, { alg: 'HS256', kid: kit.keys.partnerRs.kid, typ: 'at+jwt' }, kit.claims()))));
  },
  'AUTHZ-ALG-004': (kit) => {
    const pem = createPublicKey({ key: kit.keys.partnerEs.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    return kit.probe(on(signHmac(Buffer.from(pem), { alg: 'HS256', kid: kit.keys.partnerEs.kid }, kit.claims())));
  },
  'AUTHZ-ALG-005': (kit) => kit.probe(on(signRaw(kit.keys.partnerEs, 'ES256', { alg: 'RS256', kid: kit.keys.partnerEs.kid }, kit.claims()))),
  'AUTHZ-ALG-006': (kit) => kit.probe(on(signRaw(kit.keys.partnerP384, 'ES384', { alg: 'ES256', kid: kit.keys.partnerP384.kid }, kit.claims()))),
  'AUTHZ-ALG-007': (kit) => {
    const header = { alg: 'PS256', kid: kit.keys.partnerRs.kid };
    const input = `${base64url(header)}.${base64url(kit.claims())}`;
    const signature = cryptoSign('sha256', Buffer.from(input), { key: kit.keys.partnerRs.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    return kit.probe(on(`${input}.${signature.toString('base64url')}`));
  },
  'AUTHZ-ALG-008': (kit) =>
    kit.probe(on(kit.sign(kit.keys.partnerEs)), { document: kit.document({ issuers: { partner: { algorithms: ['RS256'] } } }) }),
  'AUTHZ-ALG-009': (kit) => kit.probe(on(withSignature({ alg: 'ES256', kid: kit.keys.partnerEs.kid }, kit.claims(), Buffer.alloc(64)))),
  'AUTHZ-ALG-010': (kit) =>
    kit.probe(on(withSignature({ alg: 'ES256', kid: kit.keys.partnerEs.kid }, kit.claims(), Buffer.from('3006020100020100', 'hex')))),
  'AUTHZ-ALG-011': (kit) => {
    const token = kit.sign(kit.keys.partnerEs);
    const [h, p, s] = token.split('.') as [string, string, string];
    const der = p1363ToDer(Buffer.from(s, 'base64url'));
    return kit.probe(on(`${h}.${p}.${der.toString('base64url')}`));
  },
  'AUTHZ-ALG-012': (kit) =>
    kit.probe(on(withSignature({ alg: 'ES256', kid: kit.keys.partnerEs.kid }, kit.claims(), Buffer.concat([P256_ORDER, P256_ORDER])))),
  'AUTHZ-ALG-013': (kit) =>
    all(
      kit,
      [['RS256'], 256, null].map((alg) => on(signRaw(kit.keys.partnerRs, 'RS256', { alg, kid: kit.keys.partnerRs.kid }, kit.claims()))),
    ),
  'AUTHZ-ALG-014': (kit) => {
    const [h, p] = kit.partner().split('.') as [string, string];
    return kit.probe(on(`${h}.${p}.`));
  },
  'AUTHZ-ALG-015': (kit) => {
    const token = kit.sign(kit.keys.partnerEs);
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    const n = BigInt(`0x${P256_ORDER.toString('hex')}`);
    const sValue = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    const twin = Buffer.from((n - sValue).toString(16).padStart(64, '0'), 'hex');
    const mutated = Buffer.concat([sig.subarray(0, 32), twin]).toString('base64url');
    expect(mutated).not.toBe(s);
    return kit.probe(on(`${h}.${p}.${mutated}`));
  },
  'AUTHZ-ALG-016': (kit) => kit.probe(on(signRaw(kit.keys.partnerRs, 'RS256', { alg: 'EdDSA', kid: kit.keys.partnerEd.kid }, kit.claims()))),

  // ── key selection ────────────────────────────────────────────────────────────────
  'AUTHZ-KEY-001': async (kit) => {
    const built = kit.build();
    await kit.decide(built, 'http-v2', on(kit.partner()));
    expect(kit.idps.partner.count('/jwks')).toBe(1);
    const stranger = await generateTestKey('RS256', { kid: 'not-published' });
    const probes: AuthorizerProbe[] = [];
    for (let i = 0; i < 3; i++) probes.push(...(await kit.probe(on(kit.sign(stranger)), { built, })));
    expect(kit.idps.partner.count('/jwks')).toBe(2);
    return probes;
  },
  'AUTHZ-KEY-002': async (kit) => {
    const built = kit.build();
    await kit.decide(built, 'http-v2', on(kit.partner()));
    const stranger = kit.keys.attackerRs;
    const tokens = Array.from({ length: 50 }, (_, i) => kit.sign(stranger, { kid: `unknown-${i}` }));
    const probes = await Promise.all(tokens.map((t) => kit.decide(built, 'http-v2', on(t))));
    for (const t of tokens) kit.remember(t);
    expect(kit.idps.partner.count('/jwks')).toBeLessThanOrEqual(2);
    return probes;
  },
  'AUTHZ-KEY-003': (kit) =>
    neverFetched(kit, [
      kit.sign(kit.keys.attackerRs, { jku: kit.attacker.jwksUri }),
      kit.sign(kit.keys.attackerRs, { jku: kit.attacker.jwksUri, kid: kit.keys.partnerRs.kid }),
    ]),
  'AUTHZ-KEY-004': (kit) =>
    neverFetched(kit, [
      kit.sign(kit.keys.attackerRs, { x5u: `${kit.attacker.origin}/cert.pem` }),
      kit.sign(kit.keys.attackerRs, { x5u: `${kit.attacker.origin}/cert.pem`, kid: undefined }),
    ]),
  'AUTHZ-KEY-005': (kit) => neverFetched(kit, [kit.sign(kit.keys.attackerRs, { jwk: kit.keys.attackerRs.publicJwk, kid: undefined })]),
  'AUTHZ-KEY-006': (kit) => neverFetched(kit, [kit.sign(kit.keys.attackerRs, { jwk: kit.keys.attackerRs.publicJwk, kid: kit.keys.partnerRs.kid })]),
  'AUTHZ-KEY-007': (kit) => {
    // A syntactically plausible DER certificate holding the attacker key is all x5c needs to carry here: gatepass never reads it.
    const spki = createPublicKey(kit.keys.attackerRs.privateKey).export({ type: 'spki', format: 'der' }) as Buffer;
    return neverFetched(kit, [
      kit.sign(kit.keys.attackerRs, { x5c: [spki.toString('base64')], kid: undefined }),
      kit.sign(kit.keys.attackerRs, { x5c: [spki.toString('base64')], kid: kit.keys.partnerRs.kid }),
    ]);
  },
  'AUTHZ-KEY-008': async (kit) => {
    const probes = await kit.probe(on(kit.sign(kit.keys.attackerRs, { kid: '../../../../etc/passwd' })));
    // Only the configured JWKS URI itself was ever requested.
    expect(new Set(kit.idps.partner.requests.map((r) => r.path))).toEqual(new Set(['/jwks']));
    return probes;
  },
  'AUTHZ-KEY-009': (kit) =>
    all(kit, ["' OR '1'='1", '1; DROP TABLE keys', '" UNION SELECT secret FROM keys --'].map((kid) => on(kit.sign(kit.keys.attackerRs, { kid })))),
  'AUTHZ-KEY-010': (kit) => kit.probe(on(kit.sign(kit.keys.attackerRs, { kid: 'k'.repeat(5000) }))),
  'AUTHZ-KEY-011': (kit) =>
    all(
      kit,
      ['partner-rѕ', 'partner-rs\u0000', 'partner-rs\u200b', 'PARTNER-RS'].map((kid) => on(kit.sign(kit.keys.attackerRs, { kid }))),
    ),
  'AUTHZ-KEY-012': (kit) => all(kit, [42, { kid: kit.keys.partnerRs.kid }].map((kid) => on(kit.sign(kit.keys.partnerRs, { kid })))),
  'AUTHZ-KEY-013': async (kit) => {
    const weak = await generateTestKey('RS256', { modulusLength: 1024, kid: 'weak-1024' });
    kit.idps.partner.behaviour = { keys: [weak.publicJwk, kit.keys.partnerRs.publicJwk] };
    return kit.probe(on(kit.sign(weak)));
  },
  'AUTHZ-KEY-014': async (kit) => {
    const weak = await generateTestKey('RS256', { modulusLength: 1024, kid: 'weak-padded' });
    const n = Buffer.from(weak.publicJwk.n!, 'base64url');
    const padded = Buffer.concat([Buffer.alloc(256 - n.length), n]).toString('base64url');
    kit.idps.partner.behaviour = { keys: [{ ...weak.publicJwk, n: padded }, kit.keys.partnerRs.publicJwk] };
    return kit.probe(on(kit.sign(weak)));
  },
  'AUTHZ-KEY-015': async (kit) => {
    const enc = await generateTestKey('RS256', { kid: 'enc-key', use: 'enc' });
    kit.idps.partner.behaviour = { keys: [enc.publicJwk, kit.keys.partnerRs.publicJwk] };
    return kit.probe(on(kit.sign(enc)));
  },
  'AUTHZ-KEY-016': async (kit) => {
    const key = await generateTestKey('RS256', { kid: 'encrypt-only' });
    const jwk = { ...key.publicJwk, key_ops: ['encrypt'] } as Record<string, unknown>;
    delete jwk['use'];
    kit.idps.partner.behaviour = { keys: [jwk as never, kit.keys.partnerRs.publicJwk] };
    return kit.probe(on(kit.sign(key)));
  },
  'AUTHZ-KEY-017': (kit) => {
    kit.idps.partner.behaviour = { keys: [kit.keys.partnerRs.publicJwk] };
    return kit.probe(on(kit.sign(kit.keys.partnerRs, { kid: undefined })));
  },
  'AUTHZ-KEY-018': (kit) => {
    const secret = Buffer.from('a-symmetric-key-published-by-mistake-0123456789');
    kit.idps.partner.behaviour = { keys: [{ kty: 'oct', kid: 'oct-key', alg: 'HS256', k: secret.toString('base64url') }, kit.keys.partnerRs.publicJwk] };
    return kit.probe(on(signHmac(secret, { alg: 'HS256', kid: 'oct-key' }, kit.claims())));
  },
  'AUTHZ-KEY-019': (kit) => kit.probe(on(signRaw(kit.keys.partnerRs, 'RS384', { alg: 'RS384', kid: kit.keys.partnerRs.kid }, kit.claims()))),
  'AUTHZ-KEY-020': (kit) => kit.probe(on(kit.sign(kit.keys.corp, {}, kit.claims()))),

  // ── header semantics ─────────────────────────────────────────────────────────────
  'AUTHZ-HDR-001': (kit) => kit.probe(on(kit.partner({}, { crit: ['exp'], exp: nowS() + 60 }))),
  'AUTHZ-HDR-002': (kit) => kit.probe(on(kit.partner({}, { crit: [] }))),
  'AUTHZ-HDR-003': (kit) => all(kit, [on(kit.partner({}, { b64: false })), on(kit.partner({}, { b64: false, crit: ['b64'] }))]),
  'AUTHZ-HDR-004': (kit) => all(kit, [on(kit.partner({}, { cty: 'JWT' })), on(kit.partner({}, { cty: 'jwt' }))]),
  'AUTHZ-HDR-005': (kit) => {
    const jwe = [base64url({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: kit.keys.partnerRs.kid }), 'ZW5jcnlwdGVkLWtleQ', 'aXYtaXYtaXYtaXY', 'Y2lwaGVydGV4dA', 'dGFnLXRhZy10YWc'].join('.');
    return kit.probe(on(jwe));
  },
  'AUTHZ-HDR-006': (kit) => all(kit, [on(kit.partner({}, { enc: 'A256GCM' })), on(kit.partner({}, { zip: 'DEF' }))]),
  'AUTHZ-HDR-007': (kit) =>
    kit.probe(on(kit.partner({ aud: 'partner-app', scope: 'orders:read', nonce: 'n-0S6_WzA2Mj' }, { typ: 'JWT' })), {
      document: kit.document({ issuers: { partner: { tokenTypes: ['at+jwt'], audiences: [API_AUD, 'partner-app'] } } }),
    }),
  'AUTHZ-HDR-008': (kit) => kit.probe(on(kit.partner({ aud: 'partner-app', nonce: 'n-0S6_WzA2Mj', at_hash: 'x' }, { typ: 'JWT' }))),
  'AUTHZ-HDR-009': (kit) => all(kit, [on(kit.partner({}, { typ: 1 })), on(kit.partner({}, { typ: ['at+jwt'] }))]),
  'AUTHZ-HDR-010': (kit) => {
    const document = kit.document({ issuers: { partner: { tokenTypes: ['at+jwt'] } } });
    return Promise.all([kit.probe(on(kit.partner({}, { typ: 'application/at+jwt' })), { document }), kit.probe(on(kit.partner({}, { typ: 'AT+JWT' })), { document })]).then((p) => p.flat());
  },

  // ── issuer and SSRF ──────────────────────────────────────────────────────────────
  'AUTHZ-ISS-001': async (kit) => {
    const probes = await kit.probe(on(kit.partner({ iss: 'https://evil.example' })));
    expect(kit.idpRequests + kit.attackerRequests).toBe(0);
    return probes;
  },
  'AUTHZ-ISS-002': (kit) => kit.probe(on(kit.partner({ iss: `${PARTNER_ISSUER}/` }))),
  'AUTHZ-ISS-003': (kit) => kit.probe(on(kit.partner({ iss: PARTNER_ISSUER.toUpperCase() }))),
  'AUTHZ-ISS-004': (kit) =>
    all(kit, [on(kit.partner({ iss: 'https://idp.pаrtner.example' })), on(kit.partner({ iss: 'https://idp.xn--prtner-2uf.example' }))]),
  'AUTHZ-ISS-005': (kit) =>
    all(kit, [`${PARTNER_ISSUER} `, `${PARTNER_ISSUER}\u0000`, `${PARTNER_ISSUER}/evil`, ` ${PARTNER_ISSUER}`].map((iss) => on(kit.partner({ iss })))),
  'AUTHZ-ISS-006': async (kit) => {
    const mark = kit.egress.mark;
    const probes = await kit.probe(on(kit.partner({ iss: 'http://169.254.169.254/latest/meta-data/' })));
    expect(kit.egress.attempts.slice(mark)).toEqual([]);
    return probes;
  },
  'AUTHZ-ISS-007': async (kit) => {
    const mark = kit.egress.mark;
    const probes = await kit.probe(on(kit.sign(kit.keys.attackerRs, { jku: 'http://169.254.169.254/latest/meta-data/iam/jwks', x5u: 'http://[fd00:ec2::254]/x5u', kid: 'meta' })));
    expect(kit.egress.attempts.slice(mark).filter((a) => !['127.0.0.1', 'localhost'].includes(a.host))).toEqual([]);
    return probes;
  },
  'AUTHZ-ISS-008': async (kit) => {
    const probes = await kit.probe(on(kit.sign(kit.keys.attackerRs, { jku: kit.attacker.jwksUri }, kit.claims({ iss: kit.attacker.origin }))));
    expect(kit.attackerRequests).toBe(0);
    return probes;
  },
  'AUTHZ-ISS-009': (kit) => kit.probe(on(kit.partner({ iss: [PARTNER_ISSUER] }))),
  'AUTHZ-ISS-010': async (kit) => {
    const probes = await kit.probe({ method: 'GET', path: '/health', authorization: bearer(kit.partner()) });
    expect(kit.idps.partner.count('/jwks')).toBe(0);
    return probes;
  },
  'AUTHZ-ISS-011': async (kit) => {
    const probes = await kit.probe(on(kit.sign(kit.keys.attackerRs, {}, kit.claims({ iss: LEGACY_ISSUER }))));
    expect(kit.idpRequests).toBe(0);
    return probes;
  },
  'AUTHZ-ISS-012': (kit) => kit.probe(on(kit.partner({ iss: undefined }))),

  // ── time claims ──────────────────────────────────────────────────────────────────
  'AUTHZ-TIME-001': (kit) => atFixedTime(kit, (now) => kit.partner({ iat: now - 100, exp: now - 30 - 1 })),
  'AUTHZ-TIME-002': (kit) => atFixedTime(kit, (now) => kit.partner({ iat: now - 100, exp: now - 30 })),
  'AUTHZ-TIME-003': (kit) => atFixedTime(kit, (now) => kit.partner({ iat: now, nbf: now + 30 + 1, exp: now + 300 })),
  'AUTHZ-TIME-004': (kit) => atFixedTime(kit, (now) => kit.partner({ iat: now + 30 + 1, exp: now + 300 })),
  'AUTHZ-TIME-005': (kit) => kit.probe(on(kit.partner({ exp: undefined }))),
  'AUTHZ-TIME-006': (kit) => kit.probe(on(kit.partner({ exp: String(nowS() + 300) }))),
  'AUTHZ-TIME-007': (kit) => {
    const payload = JSON.stringify(kit.claims({ exp: 0 })).replace('"exp":0', '"exp":1e400');
    return kit.probe(on(kit.sign(kit.keys.partnerRs, {}, payload)));
  },
  'AUTHZ-TIME-008': (kit) => all(kit, [on(kit.partner({ exp: 0 })), on(kit.partner({ exp: -1 }))]),
  'AUTHZ-TIME-009': (kit) => all(kit, [null, true, { value: nowS() + 300 }].map((exp) => on(kit.partner({ exp })))),
  'AUTHZ-TIME-010': (kit) => all(kit, [on(kit.partner({ nbf: String(nowS()) })), on(kit.partner({ iat: String(nowS()) }))]),
  'AUTHZ-TIME-011': async (kit) => {
    let now = 1_900_000_000_000;
    const built = kit.build({ now: () => now, document: kit.document({ settings: { clockSkewSeconds: 0 } }) });
    const token = kit.partner({ iat: now / 1000, exp: now / 1000 + 10 });
    const first = await kit.decide(built, 'http-v2', on(token));
    expect(first.outcome).toBe('allow');
    now += 11_000;
    const probes = [await kit.decide(built, 'http-v2', on(token)), await kit.decide(built, 'rest-request', on(token)), await kit.decide(built, 'rest-token', on(token))];
    // Refused from the memo: the signature was never checked again.
    expect(kit.idps.partner.count('/jwks')).toBe(1);
    kit.remember(token);
    return probes;
  },

  // ── audience and scope ───────────────────────────────────────────────────────────
  'AUTHZ-AUD-001': (kit) => kit.probe(on(kit.partner({ aud: 'https://other.example' }))),
  'AUTHZ-AUD-002': (kit) => kit.probe(on(kit.partner({ aud: undefined }))),
  'AUTHZ-AUD-003': (kit) => kit.probe(on(kit.partner({ aud: [] }))),
  'AUTHZ-AUD-004': (kit) => all(kit, [42, { aud: API_AUD }, [API_AUD, 7]].map((aud) => on(kit.partner({ aud })))),
  'AUTHZ-AUD-005': (kit) => all(kit, [`${API_AUD}/`, API_AUD.toUpperCase()].map((aud) => on(kit.partner({ aud })))),
  'AUTHZ-AUD-006': (kit) => kit.probe(on(kit.partner({ aud: ['https://other.example', API_AUD, 'https://third.example'] }))),
  'AUTHZ-SCOPE-001': (kit) => kit.probe(on(kit.partner({ scope: 'orders:write profile' }))),
  'AUTHZ-SCOPE-002': (kit) => all(kit, ['orders:reader', 'orders:read:all', 'ORDERS:READ'].map((scope) => on(kit.partner({ scope })))),
  'AUTHZ-SCOPE-003': (kit) => all(kit, ['profile,orders:read', 'profile\torders:read', 'profile\norders:read'].map((scope) => on(kit.partner({ scope })))),
  'AUTHZ-SCOPE-004': (kit) => kit.probe(on(kit.partner({ scope: ['orders:read', 42] }))),
  'AUTHZ-SCOPE-005': (kit) => kit.probe(on(kit.partner({ scope: undefined, scp: ['orders:read', 42] }))),
  'AUTHZ-SCOPE-006': (kit) => kit.probe(on(kit.partner({ scope: 'profile', scp: ['orders:read'] }))),

  // ── parser abuse ─────────────────────────────────────────────────────────────────
  'AUTHZ-PARSE-001': (kit) => {
    const [h, p, s] = kit.partner().split('.') as [string, string, string];
    return all(kit, [on(`${h}=.${p}.${s}`), on(`${h}.${p}.${s}==`)]);
  },
  'AUTHZ-PARSE-002': (kit) => {
    // Claims chosen so the payload's base64url holds "-" or "_": the standard alphabet spells them "+" and "/".
    let token = kit.partner({ note: '>>>???' });
    for (let i = 0; !/[-_]/.test(token.split('.')[1]!) && i < 50; i++) token = kit.partner({ note: `>>>???${'?'.repeat(i)}` });
    const [h, p, s] = token.split('.') as [string, string, string];
    return kit.probe(on(`${h}.${p.replace(/-/g, '+').replace(/_/g, '/')}.${s}`));
  },
  'AUTHZ-PARSE-003': (kit) => {
    const [h, p, s] = kit.partner().split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sloppy = `${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1)!) | 1]}`;
    expect(Buffer.from(sloppy, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    return kit.probe(on(`${h}.${p}.${sloppy}`));
  },
  'AUTHZ-PARSE-004': async (kit) => {
    const token = kit.partner({ pad: 'x'.repeat(6000) });
    const limit = token.length - 1;
    const probes = await kit.probe(on(token), { document: kit.document({ settings: { maxTokenLength: limit } }) });
    expect(kit.idpRequests).toBe(0);
    return probes;
  },
  'AUTHZ-PARSE-005': (kit) => kit.probe(on(`${'a'.repeat(34_000)}.${'b'.repeat(34_000)}.${'c'.repeat(34_000)}`)),
  'AUTHZ-PARSE-006': (kit) => {
    const token = kit.partner();
    return all(kit, [on(`${token}.${token.split('.')[2]}`), on('a.b.c.d.e.f.g')]);
  },
  'AUTHZ-PARSE-007': (kit) => {
    const [h, p] = kit.partner().split('.') as [string, string];
    return kit.probe(on(`${h}.${p}`));
  },
  'AUTHZ-PARSE-008': (kit) => all(kit, [on('..'), on('a..b'), on(`.${kit.partner().split('.')[1]}.`)]),
  'AUTHZ-PARSE-009': (kit) => {
    const tokens = ['[1,2]', '"a string"', '42', 'null'].flatMap((json) => [
      signRaw(kit.keys.partnerRs, 'RS256', json, kit.claims()),
      signRaw(kit.keys.partnerRs, 'RS256', { alg: 'RS256', kid: kit.keys.partnerRs.kid }, json),
    ]);
    return all(kit, tokens.map((t) => on(t)));
  },
  'AUTHZ-PARSE-010': (kit) => {
    const json = Buffer.from(JSON.stringify(kit.claims({ name: 'XX' })));
    const invalid = Buffer.from(json.toString('latin1').replace('XX', '\u00ff\u00fe'), 'latin1');
    const surrogate = Buffer.from(json.toString('latin1').replace('XX', '\u00ed\u00a0\u0080'), 'latin1');
    const tokens = [invalid, surrogate].map((payload) => {
      const input = `${base64url({ alg: 'RS256', kid: kit.keys.partnerRs.kid })}.${payload.toString('base64url')}`;
      return `${input}.${signRaw(kit.keys.partnerRs, 'RS256', { alg: 'RS256', kid: kit.keys.partnerRs.kid }, kit.claims()).split('.')[2]}`;
    });
    return all(kit, tokens.map((t) => on(t)));
  },
  'AUTHZ-PARSE-011': (kit) => kit.probe(on(kit.sign(kit.keys.partnerRs, {}, `${JSON.stringify(kit.claims())} trailing`))),
  'AUTHZ-PARSE-012': async (kit) => {
    const body = JSON.stringify(kit.claims({ scope: 'orders:read' }));
    const duplicated = body.replace('"scope":"orders:read"', '"scope":"orders:read","scope":"profile"');
    const token = kit.sign(kit.keys.partnerRs, {}, duplicated);
    // The exchange Lambda reads the same claims with jose: it must see the same value.
    const { unverifiedClaimsOf } = await import('../../../functions/exchange/policy/jwt-claims.js');
    expect(unverifiedClaimsOf(token)['scope']).toBe('profile');
    const reversed = kit.sign(kit.keys.partnerRs, {}, body.replace('"scope":"orders:read"', '"scope":"profile","scope":"orders:read"'));
    const allowed = await kit.probe(on(reversed, { formats: ['http-v2'] }));
    expect(allowed[0]?.outcome).toBe('allow');
    expect(allowed[0]?.context?.['scope']).toBe(unverifiedClaimsOf(reversed)['scope']);
    return kit.probe(on(token));
  },
  'AUTHZ-PARSE-013': (kit) => {
    const header = `{"alg":"none","alg":"RS256","kid":"${kit.keys.partnerRs.kid}","typ":"at+jwt"}`;
    return kit.probe(on(signRaw(kit.keys.partnerRs, 'RS256', header, kit.claims())));
  },
  'AUTHZ-PARSE-014': async (kit) => {
    const body = JSON.stringify(kit.claims({ scope: undefined })).replace(/}$/, ',"__proto__":{"scope":"orders:read","isAdmin":true}}');
    const probes = await kit.probe(on(kit.sign(kit.keys.partnerRs, {}, body)));
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(({} as Record<string, unknown>)['scope']).toBeUndefined();
    return probes;
  },
  'AUTHZ-PARSE-015': async (kit) => {
    const body = JSON.stringify(kit.claims({ scope: undefined })).replace(/}$/, ',"constructor":{"prototype":{"scope":"orders:read"}},"prototype":{"scope":"orders:read"}}');
    const header = `{"alg":"RS256","kid":"${kit.keys.partnerRs.kid}","constructor":{"prototype":{"polluted":true}}}`;
    const probes = await kit.probe(on(kit.sign(kit.keys.partnerRs, header, body)));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['scope']).toBeUndefined();
    return probes;
  },
  'AUTHZ-PARSE-016': (kit) => kit.probe(on(kit.sign(kit.keys.partnerRs, `{"__proto__":{"alg":"RS256"},"kid":"${kit.keys.partnerRs.kid}"}`, kit.claims()))),
  'AUTHZ-PARSE-017': (kit) => {
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}`;
    const body = JSON.stringify(kit.claims()).replace(/}$/, `,"deep":${deep}}`);
    return kit.probe(on(kit.sign(kit.keys.attackerRs, { kid: kit.keys.partnerRs.kid }, body)));
  },
  'AUTHZ-PARSE-018': (kit) => {
    const token = kit.partner();
    const cut = token.indexOf('.') + 5;
    return all(
      kit,
      ['\u0000', ' ', '\t', '\r\n', '\u0007'].map((ch) => on(`${token.slice(0, cut)}${ch}${token.slice(cut)}`)),
    );
  },
  'AUTHZ-PARSE-019': (kit) => {
    const header = `\ufeff${JSON.stringify({ alg: 'RS256', kid: kit.keys.partnerRs.kid, typ: 'at+jwt' })}`;
    return kit.probe(on(signRaw(kit.keys.partnerRs, 'RS256', header, kit.claims())));
  },

  // ── Authorization header handling ────────────────────────────────────────────────
  'AUTHZ-HTTP-001': (kit) => kit.probe({ ...ORDERS_READ, formats: ['rest-request', 'rest-token'] }),
  'AUTHZ-HTTP-002': (kit) => {
    const token = kit.partner();
    return all(kit, [`Basic ${Buffer.from('user:pw').toString('base64')}`, `DPoP ${token}`, `MAC ${token}`].map((authorization) => ({ ...ORDERS_READ, authorization })));
  },
  'AUTHZ-HTTP-003': (kit) => all(kit, ['Bearer', 'Bearer    '].map((authorization) => ({ ...ORDERS_READ, authorization, formats: ['rest-request', 'rest-token'] as const }))),
  'AUTHZ-HTTP-004': (kit) => kit.probe({ ...ORDERS_READ, authorization: [bearer(kit.partner({ sub: 'alice' })), bearer(kit.partner({ sub: 'mallory', scope: 'orders:read orders:admin' }))], formats: ['rest-request'] }),
  'AUTHZ-HTTP-005': (kit) => kit.probe({ ...ORDERS_READ, authorization: `${bearer(kit.partner())}, ${bearer(kit.partner({ sub: 'mallory' }))}` }),
  'AUTHZ-HTTP-006': (kit) => {
    const token = kit.partner();
    kit.remember(token);
    return kit.probe(on(token, { query: { access_token: token } }));
  },
  'AUTHZ-HTTP-007': async (kit) => {
    const token = kit.partner();
    kit.remember(token);
    const probes = await all(kit, [on(token, { query: { ACCESS_TOKEN: token } }), on(token, { query: { Access_Token: token, page: '2' } })]);
    // An HTTP API raw query the parsed map does not show (e.g. a repeated parameter).
    const built = kit.build();
    const { httpApiEvent } = await import('../../support/authorizer-events.js');
    const event = httpApiEvent({ ...ORDERS_READ, authorization: bearer(token) });
    event.rawQueryString = `page=2&access_token=${token}`;
    const result = (await built.authorizer.handle(event)) as { isAuthorized: boolean };
    probes.push({ format: 'http-v2', outcome: built.telemetry.last?.outcome ?? 'no_decision', status: result.isAuthorized ? 200 : 403 });
    return probes;
  },
  'AUTHZ-HTTP-008': async (kit) => {
    const built = kit.build();
    const { restRequestEvent } = await import('../../support/authorizer-events.js');
    const event = restRequestEvent({ ...ORDERS_READ }) as unknown as Record<string, unknown>;
    const token = kit.partner();
    kit.remember(token);
    event['headers'] = { authorization: bearer(token), AUTHORIZATION: bearer(kit.partner({ sub: 'mallory' })) };
    event['multiValueHeaders'] = null;
    try {
      await built.authorizer.handle(event);
      return [{ format: 'rest-request', outcome: built.telemetry.last?.outcome ?? 'no_decision', status: 200 }];
    } catch {
      return [{ format: 'rest-request', outcome: built.telemetry.last?.outcome ?? 'no_decision', status: 401 }];
    }
  },
  'AUTHZ-HTTP-009': (kit) => kit.probe({ ...ORDERS_READ, authorization: `bEaReR ${kit.partner()}` }),

  // ── introspection ────────────────────────────────────────────────────────────────
  'AUTHZ-INTRO-001': (kit) => introspected(kit, { active: 'true', scope: 'reports', exp: nowS() + 60 }),
  'AUTHZ-INTRO-002': async (kit) => [...(await introspected(kit, { active: 1, scope: 'reports' })), ...(await introspected(kit, { active: false }))],
  'AUTHZ-INTRO-003': (kit) => introspected(kit, { active: true, iss: PARTNER_ISSUER, scope: 'reports', exp: nowS() + 60 }),
  'AUTHZ-INTRO-004': (kit) => introspected(kit, { active: true, scope: 'reports', exp: nowS() - 3600 }),
  'AUTHZ-INTRO-005': (kit) => introspected(kit, { active: true, scope: 'reports', exp: String(nowS() + 60) }),
  'AUTHZ-INTRO-006': (kit) => introspected(kit, { active: true, scope: 'reports', exp: nowS() + 600, nbf: nowS() + 300 }),
  'AUTHZ-INTRO-007': async (kit) => [...(await introspected(kit, 'not json')), ...(await introspected(kit, '[{"active":true}]')), ...(await introspected(kit, 'null'))],
  'AUTHZ-INTRO-008': async (kit) => {
    kit.idps.legacy.behaviour = { keys: [], introspect: () => ({ status: 500, body: { active: true, scope: 'reports' } }) };
    const built = kit.build();
    const token = opaque();
    kit.remember(token);
    const probes = [await kit.decide(built, 'http-v2', { ...REPORTS, authorization: bearer(token) }), await kit.decide(built, 'rest-request', { ...REPORTS, authorization: bearer(token) })];
    expect(kit.idps.legacy.count('/introspect')).toBe(2);
    return probes;
  },
  'AUTHZ-INTRO-009': (kit) => {
    kit.idps.legacy.behaviour = { keys: [], introspect: () => ({ body: { active: true, scope: 'reports', exp: nowS() + 60 }, delayMs: 600 }) };
    return kit.probe({ ...REPORTS, authorization: bearer(opaque()) }, { document: kit.document({ settings: { introspection: { timeoutMs: 150 } } }) });
  },
  'AUTHZ-INTRO-010': (kit) => {
    kit.idps.legacy.behaviour = { keys: [], introspect: () => ({ body: { active: true, scope: 'reports', exp: nowS() + 60, pad: 'x'.repeat(4000) } }) };
    return kit.probe({ ...REPORTS, authorization: bearer(opaque()) }, { document: kit.document({ settings: { introspection: { maxBytes: 1024 } } }) });
  },
  'AUTHZ-INTRO-011': async (kit) => {
    kit.attacker.behaviour = { keys: [], introspect: () => ({ body: { active: true, scope: 'reports', exp: nowS() + 60 } }) };
    const redirect = await kit.redirector(kit.attacker.introspectionEndpoint, 307);
    const document = kit.document({ issuers: { legacy: { introspection: { endpoint: `${redirect}/introspect` } } } });
    const probes = await kit.probe({ ...REPORTS, authorization: bearer(opaque()) }, { document });
    expect(kit.attackerRequests).toBe(0);
    return probes;
  },
  'AUTHZ-INTRO-012': (kit) => introspected(kit, { active: true, scope: 'profile', exp: nowS() + 60 }),
  'AUTHZ-INTRO-013': async (kit) => {
    let now = 1_900_000_000_000;
    const exp = now / 1000 + 5;
    kit.idps.legacy.behaviour = { keys: [], introspect: () => ({ body: { active: true, scope: 'reports', exp } }) };
    const built = kit.build({ now: () => now, document: kit.document({ settings: { clockSkewSeconds: 0 } }) });
    const token = opaque();
    kit.remember(token);
    expect((await kit.decide(built, 'http-v2', { ...REPORTS, authorization: bearer(token) })).outcome).toBe('allow');
    now += 6_000;
    const probes = [await kit.decide(built, 'http-v2', { ...REPORTS, authorization: bearer(token) }), await kit.decide(built, 'rest-request', { ...REPORTS, authorization: bearer(token) })];
    // Past exp the cached answer is gone: the endpoint is asked again, and its answer is refused.
    expect(kit.idps.legacy.count('/introspect')).toBe(3);
    return probes;
  },
  'AUTHZ-INTRO-014': (kit) => {
    kit.idps.legacy.behaviour = { keys: [], introspect: () => ({ body: { active: true, scope: 'reports', exp: nowS() + 60 } }) };
    const failing = async () => {
      const error = new Error('Secrets Manager: Rate exceeded');
      error.name = 'GetParameterError';
      throw error;
    };
    return kit.probe({ ...REPORTS, authorization: bearer(opaque()) }, { readSecret: failing });
  },
  'AUTHZ-INTRO-015': async (kit) => {
    const probes = await kit.probe(on(opaque()));
    expect(kit.idpRequests).toBe(0);
    return probes;
  },

  // ── JWKS endpoint faults ─────────────────────────────────────────────────────────
  'AUTHZ-JWKS-001': async (kit) => {
    kit.idps.partner.behaviour = { keys: [], jwks: { status: 503, body: 'down' } };
    const built = kit.build();
    const token = kit.partner();
    const probes = await kit.probe(on(token), { built });
    expect(kit.idps.partner.count('/jwks')).toBe(1);
    expect(built.telemetry.jwksFailures.length).toBeGreaterThanOrEqual(1);
    return probes;
  },
  'AUTHZ-JWKS-002': (kit) => {
    kit.idps.partner.behaviour = { keys: [kit.keys.partnerRs.publicJwk], jwks: { delayMs: 600 } };
    return kit.probe(on(kit.partner()), { document: kit.document({ settings: { jwks: { fetchTimeoutMs: 150 } } }) });
  },
  'AUTHZ-JWKS-003': (kit) => {
    kit.idps.partner.behaviour = { keys: [], jwks: { body: JSON.stringify({ keys: [kit.keys.partnerRs.publicJwk], pad: 'x'.repeat(5000) }) } };
    return kit.probe(on(kit.partner()), { document: kit.document({ settings: { jwks: { maxBytes: 4096 } } }) });
  },
  'AUTHZ-JWKS-004': async (kit) => {
    const probes: AuthorizerProbe[] = [];
    for (const body of ['<html>not json</html>', JSON.stringify({ kes: [kit.keys.partnerRs.publicJwk] }), JSON.stringify({ keys: { 0: kit.keys.partnerRs.publicJwk } })]) {
      kit.idps.partner.behaviour = { keys: [], jwks: { body } };
      probes.push(...(await kit.probe(on(kit.partner()))));
    }
    return probes;
  },
  'AUTHZ-JWKS-005': async (kit) => {
    const many = await Promise.all(Array.from({ length: 4 }, (_, i) => generateTestKey('ES256', { kid: `many-${i}` })));
    kit.idps.partner.behaviour = { keys: [kit.keys.partnerRs.publicJwk, ...many.map((k) => k.publicJwk)] };
    return kit.probe(on(kit.partner()), { document: kit.document({ settings: { jwks: { maxKeys: 3 } } }) });
  },
  'AUTHZ-JWKS-006': async (kit) => {
    kit.attacker.behaviour = { keys: [kit.keys.attackerRs.publicJwk] };
    kit.idps.partner.behaviour = { keys: [], jwks: { status: 302, headers: { location: kit.attacker.jwksUri }, body: '' } };
    const probes = await kit.probe(on(kit.sign(kit.keys.attackerRs, { kid: kit.keys.attackerRs.kid })));
    expect(kit.attackerRequests).toBe(0);
    return probes;
  },
  'AUTHZ-JWKS-007': (kit) => {
    kit.idps.partner.behaviour = { keys: [kit.keys.partnerRs.publicJwk], jwks: { status: 404 } };
    return kit.probe(on(kit.partner()));
  },
  'AUTHZ-JWKS-008': async (kit) => {
    const reset = await kit.resetter();
    return kit.probe(on(kit.partner()), { document: kit.document({ issuers: { partner: { jwksUri: `${reset}/jwks` } } }) });
  },
  'AUTHZ-JWKS-009': async (kit) => {
    let now = Date.now();
    const built = kit.build({ now: () => now, document: kit.document({ settings: { jwks: { maxAgeSeconds: 60 }, verifiedTokenMemo: { maxAgeSeconds: 30 } } }) });
    const token = kit.partner({ exp: Math.floor(now / 1000) + 3600 });
    expect((await kit.decide(built, 'http-v2', on(token))).outcome).toBe('allow');
    kit.idps.partner.behaviour = { keys: [kit.keys.partnerEs.publicJwk] };
    now += 61_000;
    return kit.probe(on(token), { built });
  },
  'AUTHZ-JWKS-010': async (kit) => {
    let now = Date.now();
    const built = kit.build({ now: () => now, document: kit.document({ settings: { jwks: { maxAgeSeconds: 60, penaltySeconds: 10 }, verifiedTokenMemo: { maxEntries: 0 } } }) });
    const token = kit.partner({ exp: Math.floor(now / 1000) + 3600 });
    expect((await kit.decide(built, 'http-v2', on(token))).outcome).toBe('allow');
    kit.idps.partner.behaviour = { keys: [], jwks: { status: 503 } };
    now += 61_000;
    const probes = await kit.probe(on(token), { built });
    // One failed refresh, then the penalty: no fetch per request.
    expect(kit.idps.partner.count('/jwks')).toBe(2);
    return probes;
  },

  // ── cached policies (authorizer side) ────────────────────────────────────────────
  'AUTHZ-CACHE-001': async (kit) => {
    const probes = await kit.probe(on(kit.partner(), { formats: ['rest-request', 'rest-token'] }));
    for (const probe of probes) {
      expect(probe.policy).toHaveLength(1);
      expect(probe.policy?.[0]?.Resource).toMatch(/\/GET\/orders\/\*$/);
      expect(probe.policy?.[0]?.Resource).not.toMatch(/\/\*\/\*$/);
    }
    return probes;
  },
  'AUTHZ-CACHE-002': async (kit) => {
    const built = kit.build();
    const token = kit.partner({ scope: 'orders:read' });
    kit.remember(token);
    expect((await kit.decide(built, 'http-v2', on(token))).outcome).toBe('allow');
    const probes = [await kit.decide(built, 'http-v2', { method: 'POST', path: '/orders', authorization: bearer(token) }), await kit.decide(built, 'rest-request', { method: 'POST', path: '/orders', authorization: bearer(token) })];
    expect(built.telemetry.decisions.slice(1).every((d) => d.via === 'memo')).toBe(true);
    return probes;
  },
  'AUTHZ-CACHE-003': async (kit) => {
    const built = kit.build();
    const token = kit.partner();
    kit.remember(token);
    expect((await kit.decide(built, 'http-v2', on(token))).outcome).toBe('allow');
    return [await kit.decide(built, 'http-v2', { method: 'GET', path: '/health', authorization: bearer(token) }), await kit.decide(built, 'rest-request', { method: 'GET', path: '/health', authorization: bearer(token) })];
  },
};

/** The three formats at a fixed instant with the harness's 30 s skew. */
async function atFixedTime(kit: AuthorizerKit, tokenAt: (nowSeconds: number) => string): Promise<AuthorizerProbe[]> {
  const now = 1_900_000_000;
  return kit.probe(on(tokenAt(now)), { now: () => now * 1000, document: kit.document({ settings: { clockSkewSeconds: 30 } }) });
}

let opaqueCounter = 0;
function opaque(): string {
  return `opaque-${Date.now().toString(36)}-${(opaqueCounter += 1)}-0123456789abcdef`;
}

/** An opaque token on the reports route, with the legacy IdP answering `body`. */
function introspected(kit: AuthorizerKit, body: unknown): Promise<AuthorizerProbe[]> {
  kit.idps.legacy.behaviour = { keys: [], introspect: () => ({ body }) };
  return kit.probe({ ...REPORTS, authorization: bearer(opaque()) });
}
