import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import { UnauthorizedSignal } from '../../../functions/authorizer/authorizer-response.js';
import { tokenIdOf } from '../../../functions/shared/token-id.js';
import { httpApiEvent, restRequestEvent, restTokenEvent, API_ARN_PREFIX } from '../../support/authorizer-events.js';
import {
  buildAuthorizer,
  CORP_ISSUER,
  LEGACY_ISSUER,
  LEGACY_SECRET,
  PARTNER_ISSUER,
  staticSecrets,
  startIdps,
  stopIdps,
  testConfigDocument,
  type Idps,
} from '../../support/authorizer-harness.js';
import { generateTestKey, mintJwt, signHmac, signRaw, base64url, type TestKey } from '../../support/token-minter.js';

let idps: Idps;
let partnerRs: TestKey;
let partnerEs: TestKey;
let partnerEd: TestKey;
let corpKey: TestKey;

const API_AUD = 'https://api.example.com';
const ordersRead = { method: 'GET', path: '/orders/{id}' };

beforeAll(async () => {
  idps = await startIdps();
  [partnerRs, partnerEs, partnerEd, corpKey] = await Promise.all([
    generateTestKey('RS256'),
    generateTestKey('ES256'),
    generateTestKey('EdDSA'),
    generateTestKey('RS256'),
  ]);
});

afterAll(async () => {
  await stopIdps(idps);
});

beforeEach(() => {
  idps.partner.behaviour = { keys: [partnerRs.publicJwk, partnerEs.publicJwk, partnerEd.publicJwk] };
  idps.corp.behaviour = { keys: [corpKey.publicJwk] };
  idps.legacy.behaviour = { keys: [] };
  idps.partner.requests.length = 0;
  idps.corp.requests.length = 0;
  idps.legacy.requests.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

const partnerToken = (key: TestKey, claims: Record<string, unknown> = {}, options = {}) =>
  mintJwt(key, { iss: PARTNER_ISSUER, sub: 'alice', aud: API_AUD, client_id: 'partner-app', scope: 'orders:read', ...claims }, options);

const bearer = (token: string) => `Bearer ${token}`;

/** Runs a REST REQUEST event and returns "401", "403" or the allow result. */
async function restOutcome(authorizer: ReturnType<typeof buildAuthorizer>['authorizer'], event: unknown) {
  try {
    const result = (await authorizer.handle(event)) as { policyDocument: { Statement: { Effect: string; Resource: string }[] }; context?: Record<string, unknown> };
    return result.policyDocument.Statement[0]!.Effect === 'Deny' ? { status: 403, result } : { status: 200, result };
  } catch (error) {
    if (error instanceof UnauthorizedSignal && error.message === 'Unauthorized') return { status: 401 };
    throw error;
  }
}

describe('authorizer: valid tokens', () => {
  it.each([
    ['RS256', () => partnerRs],
    ['ES256', () => partnerEs],
    ['EdDSA', () => partnerEd],
  ])('allows a valid %s partner token on an HTTP API route with the contract context', async (_alg, key) => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken(key());
    const result = await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(result).toEqual({
      isAuthorized: true,
      context: {
        route: 'orders-read',
        action: 'exchange',
        issuer: 'partner',
        subject: 'alice',
        clientId: 'partner-app',
        scope: 'orders:read',
        expiresAt: expect.any(Number),
        tokenId: tokenIdOf(token),
      },
    });
    expect(telemetry.last).toMatchObject({ outcome: 'allow', route: 'orders-read', issuer: 'partner', tokenId: tokenIdOf(token), via: 'jwt' });
  });

  it('allows a REST REQUEST event with a policy scoped to the matched route only', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken(partnerRs);
    const { status, result } = await restOutcome(authorizer, restRequestEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(status).toBe(200);
    expect(result?.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${API_ARN_PREFIX}/GET/orders/*` }]);
    expect(result?.context).toMatchObject({ route: 'orders-read', action: 'exchange', tokenId: tokenIdOf(token) });
  });

  it('allows a REST TOKEN event by matching the method ARN path against the route templates', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken(partnerRs);
    const { status, result } = await restOutcome(authorizer, restTokenEvent({ ...ordersRead, authorization: `bearer ${token}` }));
    expect(status).toBe(200);
    expect(result?.context).toMatchObject({ route: 'orders-read' });
  });

  it('accepts the scheme in any case and a scope given as an scp array', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken(partnerRs, { scope: undefined, scp: ['orders:read', 'profile'] });
    const result = await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: `BEARER ${token}` }));
    expect(result).toMatchObject({ isAuthorized: true, context: { scope: 'orders:read profile' } });
  });
});

describe('authorizer: classification', () => {
  it('passes through a same-issuer token when sameIssuerWhen does not match', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const token = await mintJwt(corpKey, { iss: CORP_ISSUER, sub: 'bob', scope: 'orders:read' });
    expect(await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }))).toMatchObject({ context: { action: 'passthrough', issuer: 'corp' } });
  });

  it('exchanges (downscopes) a same-issuer token when sameIssuerWhen matches', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const token = await mintJwt(corpKey, { iss: CORP_ISSUER, sub: 'bob', scope: 'orders:read orders:admin' });
    expect(await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }))).toMatchObject({ context: { action: 'exchange', issuer: 'corp' } });
  });

  it('passes through a same-issuer token on a route whose exchange has no sameIssuerWhen', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const token = await mintJwt(corpKey, { iss: CORP_ISSUER, sub: 'bob', scope: 'orders:write' });
    expect(await authorizer.handle(httpApiEvent({ method: 'POST', path: '/orders', authorization: bearer(token) }))).toMatchObject({ context: { action: 'passthrough' } });
  });

  it('passes through on a route without an exchange block', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const token = await mintJwt(corpKey, { iss: CORP_ISSUER, sub: 'bob' });
    expect(await authorizer.handle(httpApiEvent({ method: 'GET', path: '/health', authorization: bearer(token) }))).toMatchObject({ context: { action: 'passthrough', route: 'health' } });
  });
});

describe('authorizer: refusals', () => {
  async function expectDenied(event: unknown, code: string, document = testConfigDocument(idps)) {
    const { authorizer, telemetry } = buildAuthorizer(document);
    const result = await authorizer.handle(event);
    expect(result).toEqual({ isAuthorized: false });
    expect(telemetry.last?.outcome).toBe(code);
    return telemetry;
  }

  it('refuses a request without a bearer token (token_missing)', async () => {
    await expectDenied(httpApiEvent({ ...ordersRead }), 'token_missing');
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: 'Basic dXNlcjpwdw==' }), 'token_missing');
  });

  it('refuses alg none', async () => {
    const token = `${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url({ iss: PARTNER_ISSUER, sub: 'x', aud: API_AUD, scope: 'orders:read', exp: 9999999999 })}.`;
    const telemetry = await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'token_invalid');
    expect(idps.partner.count('/jwks')).toBe(0);
    expect(telemetry.last?.reason).toMatch(/alg none/);
  });

  it('refuses HS256 signed with the RSA public key as the HMAC secret', async () => {
    const publicPem = Buffer.from(JSON.stringify(partnerRs.publicJwk));
    const token = signHmac(publicPem, { alg: 'HS256', kid: partnerRs.kid }, { iss: PARTNER_ISSUER, sub: 'x', aud: API_AUD, scope: 'orders:read', exp: 9999999999 });
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'token_invalid');
  });

  it('refuses a token whose alg does not fit the key (RS256 header, EC key under that kid)', async () => {
    const token = signRaw(partnerEs, 'ES256', { alg: 'RS256', kid: partnerEs.kid }, { iss: PARTNER_ISSUER, aud: API_AUD, scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 60 });
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'token_invalid');
  });

  it('refuses a token whose kid is not in the JWKS: one refetch, then the penalty box (no second fetch)', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(partnerRs)) }));
    expect(idps.partner.count('/jwks')).toBe(1);
    const stranger = await generateTestKey('RS256', { kid: 'not-published' });
    for (let i = 0; i < 3; i++) {
      const result = await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(stranger)) }));
      expect(result).toEqual({ isAuthorized: false });
      expect(telemetry.last?.outcome).toBe('token_invalid');
    }
    expect(idps.partner.count('/jwks')).toBe(2);
  });

  it('refuses a token with a crit header, even one it would otherwise accept', async () => {
    const token = signRaw(partnerRs, 'RS256', { alg: 'RS256', kid: partnerRs.kid, crit: ['exp'], exp: 1 }, { iss: PARTNER_ISSUER, aud: API_AUD, scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 60 });
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'token_invalid');
  });

  it('refuses b64, nested and encrypted-looking headers', async () => {
    for (const header of [{ b64: false }, { cty: 'JWT' }, { enc: 'A256GCM' }]) {
      const token = signRaw(partnerRs, 'RS256', { alg: 'RS256', kid: partnerRs.kid, ...header }, { iss: PARTNER_ISSUER, aud: API_AUD, scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 60 });
      await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'token_invalid');
    }
  });

  it('refuses a token from an unknown issuer without any network call', async () => {
    const token = await mintJwt(partnerRs, { iss: 'https://evil.example', sub: 'x', aud: API_AUD, scope: 'orders:read' }, { header: { jku: idps.partner.jwksUri } });
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'issuer_not_accepted');
    const lookAlike = await mintJwt(partnerRs, { iss: `${PARTNER_ISSUER}/`, sub: 'x', aud: API_AUD, scope: 'orders:read' });
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(lookAlike) }), 'issuer_not_accepted');
    expect(idps.partner.requests.length + idps.corp.requests.length + idps.legacy.requests.length).toBe(0);
  });

  it('refuses a configured issuer that the route does not accept, before fetching its keys', async () => {
    const token = await partnerToken(partnerRs);
    await expectDenied(httpApiEvent({ method: 'GET', path: '/health', authorization: bearer(token) }), 'issuer_not_accepted');
    expect(idps.partner.count('/jwks')).toBe(0);
  });

  it('applies the clock skew exactly at the exp and nbf boundaries', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = 1_900_000_000;
    vi.setSystemTime(now * 1000);
    const skew = 30;
    const document = testConfigDocument(idps, { settings: { clockSkewSeconds: skew } });
    const { authorizer, telemetry } = buildAuthorizer(document);
    const run = async (claims: Record<string, unknown>) => {
      const token = await partnerToken(partnerRs, { iat: now - 100, ...claims });
      await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
      return telemetry.last?.outcome;
    };
    expect(await run({ exp: now - skew })).toBe('allow');
    expect(await run({ exp: now - skew - 1 })).toBe('token_expired');
    expect(await run({ exp: now + 60, nbf: now + skew })).toBe('allow');
    expect(await run({ exp: now + 60, nbf: now + skew + 1 })).toBe('token_not_yet_valid');
    expect(await run({ exp: now + 60, iat: now + skew + 1 })).toBe('token_not_yet_valid');
  });

  it('refuses a token without exp (RFC 9068)', async () => {
    const token = await partnerToken(partnerRs, {}, { omitExp: true });
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'token_invalid');
  });

  it('refuses, as token_invalid, a token whose claims the authorizer context cannot carry (the exchange Lambda would answer 500)', async () => {
    for (const claims of [{ sub: 'a'.repeat(2049) }, { scope: undefined, scp: ['orders:read', 'orders:read admin'] }, { exp: 10 ** 13 }]) {
      const token = await partnerToken(partnerRs, claims);
      await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'token_invalid');
    }
  });

  it('reads scope written as a JSON array, as Spring Authorization Server writes it, and refuses an array holding a non-string', async () => {
    // https://github.com/spring-projects/spring-authorization-server/blob/041b94d682c1d6fb1ff87c8dfdc8e04f10f41d81/oauth2-authorization-server/src/main/java/org/springframework/security/oauth2/server/authorization/token/JwtGenerator.java
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken(partnerRs, { scope: ['orders:read', 'profile'] });
    expect(await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }))).toMatchObject({ isAuthorized: true, context: { scope: 'orders:read profile' } });
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(partnerRs, { scope: ['orders:read', 42] })) }), 'token_invalid');
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(partnerRs, { scope: ['orders:write'] })) }), 'insufficient_scope');
  });

  it('refuses a token for another audience', async () => {
    const token = await partnerToken(partnerRs, { aud: 'https://other.example' });
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token) }), 'audience_not_accepted');
  });

  it('refuses a valid token that lacks a required scope with 403 (scope string and scp array)', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    for (const claims of [{ scope: 'orders:write' }, { scope: undefined, scp: ['orders:write'] }, { scope: 'orders:reader' }, { scope: undefined, scp: 'orders:read' }]) {
      const token = await partnerToken(partnerRs, claims);
      const event = restRequestEvent({ ...ordersRead, authorization: bearer(token) });
      const rest = await restOutcome(authorizer, event);
      // scp as a single string is accepted too; everything else lacks orders:read.
      if (claims.scp === 'orders:read') {
        expect(rest.status).toBe(200);
        continue;
      }
      expect(rest.status).toBe(403);
      expect(rest.result?.context).toEqual({ code: 'insufficient_scope' });
      // The called method only: a cached Deny never refuses the token elsewhere (issue #16).
      expect(rest.result?.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny', Resource: event.methodArn });
      expect(telemetry.last?.outcome).toBe('insufficient_scope');
    }
  });

  it('refuses several Authorization headers (REST multi-value and HTTP API comma-joined)', async () => {
    const token = await partnerToken(partnerRs);
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    expect((await restOutcome(authorizer, restRequestEvent({ ...ordersRead, authorization: [bearer(token), bearer(token)] }))).status).toBe(401);
    expect(telemetry.last?.outcome).toBe('token_malformed');
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: [bearer(token), bearer(token)] }), 'token_malformed');
  });

  it('refuses a token in the query string, even next to a valid header', async () => {
    const token = await partnerToken(partnerRs);
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(token), query: { access_token: token } }), 'token_malformed');
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    expect((await restOutcome(authorizer, restRequestEvent({ ...ordersRead, authorization: bearer(token), query: { ACCESS_TOKEN: token } }))).status).toBe(401);
  });

  it('refuses a 100 KB token before decoding it', async () => {
    const huge = 'a'.repeat(100 * 1024);
    const telemetry = await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(`${huge}.${huge}.${huge}`) }), 'token_malformed');
    expect(telemetry.last?.reason).toMatch(/longer than 8192/);
    expect(idps.partner.requests.length).toBe(0);
  });

  it('refuses tokens with many dots, bad base64url or non-canonical encodings', async () => {
    const good = await partnerToken(partnerRs);
    const [h, p, s] = good.split('.') as [string, string, string];
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer('a.b.c.d.e.f.g') }), 'token_malformed');
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(`${h}.${p}.${s}.`) }), 'token_malformed');
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(`${h}=.${p}.${s}`) }), 'token_malformed');
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(`${h}.${p.slice(0, -1)}+.${s}`) }), 'token_malformed');
    // A 2048-bit RS256 signature is 342 base64url characters: the last one carries 4 unused
    // bits. Setting one decodes to the same bytes, so only the canonical check refuses it.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    expect(s.length % 4).toBe(2);
    const sloppy = `${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1)!) | 1]}`;
    expect(Buffer.from(sloppy, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(`${h}.${p}.${sloppy}`) }), 'token_malformed');
    const middle = Math.floor(s.length / 2);
    const tampered = `${s.slice(0, middle)}${s[middle] === 'A' ? 'B' : 'A'}${s.slice(middle + 1)}`;
    await expectDenied(httpApiEvent({ ...ordersRead, authorization: bearer(`${h}.${p}.${tampered}`) }), 'token_invalid');
  });

  it('refuses with a clean 401 when the JWKS endpoint is down, not a 500', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    idps.partner.behaviour = { keys: [], jwks: { status: 503, body: 'down' } };
    const token = await partnerToken(partnerRs);
    expect((await restOutcome(authorizer, restRequestEvent({ ...ordersRead, authorization: bearer(token) }))).status).toBe(401);
    expect(telemetry.last?.outcome).toBe('token_invalid');
    expect(telemetry.jwksFailures).toHaveLength(1);
    // The failed fetch puts the URI in the penalty box: the next request costs no call.
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(idps.partner.count('/jwks')).toBe(1);
  });

  it('refuses when the JWKS is too slow or too large', async () => {
    const settings = { jwks: { fetchTimeoutMs: 200, maxBytes: 4096 } };
    idps.partner.behaviour = { keys: [partnerRs.publicJwk], jwks: { delayMs: 1000 } };
    const slow = buildAuthorizer(testConfigDocument(idps, { settings }));
    const started = Date.now();
    await slow.authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(partnerRs)) }));
    expect(slow.telemetry.last?.outcome).toBe('token_invalid');
    expect(Date.now() - started).toBeLessThan(900);

    idps.partner.behaviour = { keys: [partnerRs.publicJwk], jwks: { body: JSON.stringify({ keys: [partnerRs.publicJwk], pad: 'x'.repeat(10_000) }) } };
    const big = buildAuthorizer(testConfigDocument(idps, { settings }));
    await big.authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(partnerRs)) }));
    expect(big.telemetry.last?.outcome).toBe('token_invalid');
    expect(big.telemetry.jwksFailures[0]?.reason).toMatch(/exceeds 4096 bytes/);
  });

  it('ignores RSA keys under 2048 bits and keys not meant for signatures', async () => {
    const weak = await generateTestKey('RS256', { modulusLength: 1024, kid: 'weak' });
    const enc = await generateTestKey('RS256', { kid: 'enc', use: 'enc' });
    idps.partner.behaviour = { keys: [weak.publicJwk, enc.publicJwk, partnerRs.publicJwk] };
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    const weakToken = signRaw(weak, 'RS256', { alg: 'RS256', kid: 'weak', typ: 'at+jwt' }, { iss: PARTNER_ISSUER, aud: API_AUD, scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 60 });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(weakToken) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
    expect(telemetry.jwksFetches[0]).toMatchObject({ keys: 1, ignored: 2 });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(enc)) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
  });

  it('checks the typ header against the issuer tokenTypes (ID tokens are not access tokens)', async () => {
    const document = testConfigDocument(idps, { partner: { tokenTypes: ['at+jwt'] } });
    const { authorizer, telemetry } = buildAuthorizer(document);
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(partnerRs, {}, { header: { typ: 'application/AT+JWT' } })) }));
    expect(telemetry.last?.outcome).toBe('allow');
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(partnerRs, {}, { header: { typ: 'JWT' } })) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
  });

  it('refuses a request on a route the configuration does not know (403, never an allow)', async () => {
    const token = await partnerToken(partnerRs);
    await expectDenied(httpApiEvent({ method: 'GET', path: '/admin', authorization: bearer(token) }), 'gateway_misconfigured');
  });

  it('throws (API Gateway answers 500) on an event that is no authorizer event', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    await expect(authorizer.handle({ hello: 'world' })).rejects.toThrow(/unsupported authorizer event/);
  });

  it('answers REST 401 by throwing exactly "Unauthorized"', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    await expect(authorizer.handle(restRequestEvent({ ...ordersRead }))).rejects.toThrow(/^Unauthorized$/);
  });
});

describe('authorizer: verified-token memo', () => {
  it('skips the signature check for a repeated token but still runs the route checks', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken(partnerRs, { scope: 'orders:read' });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(telemetry.last).toMatchObject({ outcome: 'allow', via: 'memo' });
    // Same token, another route: its scope requirement and issuer list apply afresh.
    await authorizer.handle(httpApiEvent({ method: 'POST', path: '/orders', authorization: bearer(token) }));
    expect(telemetry.last).toMatchObject({ outcome: 'insufficient_scope', via: 'memo' });
    await authorizer.handle(httpApiEvent({ method: 'GET', path: '/health', authorization: bearer(token) }));
    expect(telemetry.last).toMatchObject({ outcome: 'issuer_not_accepted', via: 'memo' });
  });

  it('stops accepting a memoised token once it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = 1_900_000_000;
    vi.setSystemTime(now * 1000);
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps, { settings: { clockSkewSeconds: 0 } }));
    const token = await partnerToken(partnerRs, { iat: now, exp: now + 10 });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(telemetry.last?.outcome).toBe('allow');
    vi.setSystemTime((now + 11) * 1000);
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(telemetry.last?.outcome).toBe('token_expired');
  });

  it('refetches the JWKS after its maximum age, so a key removed at the IdP stops working', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const settings = { jwks: { maxAgeSeconds: 60 }, verifiedTokenMemo: { maxAgeSeconds: 30 } };
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps, { settings }));
    const longLived = await partnerToken(partnerRs, { exp: Math.floor(start / 1000) + 3600 });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(longLived) }));
    expect(telemetry.last?.outcome).toBe('allow');
    idps.partner.behaviour = { keys: [partnerEs.publicJwk] }; // RS key rotated out
    vi.setSystemTime(start + 61_000);
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(longLived) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
    expect(idps.partner.count('/jwks')).toBeGreaterThanOrEqual(2);
  });
});

describe('authorizer: opaque tokens (RFC 7662 introspection)', () => {
  const reports = { method: 'GET', path: '/reports/{proxy+}' };
  const opaque = 'opaque-token-0123456789abcdef';

  it('allows an active opaque token and reuses the positive answer', async () => {
    const seen: { auth?: string; token?: string | null }[] = [];
    idps.legacy.behaviour = {
      keys: [],
      introspect: (form, auth) => {
        seen.push({ auth, token: form.get('token') });
        return { body: { active: true, iss: LEGACY_ISSUER, sub: 'carol', client_id: 'legacy-app', scope: 'reports', exp: Math.floor(Date.now() / 1000) + 300 } };
      },
    };
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    const result = await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(opaque) }));
    expect(result).toMatchObject({ isAuthorized: true, context: { issuer: 'legacy', subject: 'carol', clientId: 'legacy-app', action: 'passthrough', route: 'reports' } });
    await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(opaque) }));
    expect(telemetry.last).toMatchObject({ outcome: 'allow', via: 'introspection-cache' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({ auth: `Basic ${Buffer.from('gatepass:legacy-s3cret').toString('base64')}`, token: opaque });
  });

  it('gives an introspected token without exp a context expiry of its trust horizon, not 0', async () => {
    idps.legacy.behaviour = { keys: [], introspect: () => ({ body: { active: true, sub: 'svc', scope: 'reports' } }) };
    const { authorizer } = buildAuthorizer(testConfigDocument(idps));
    const before = Math.floor(Date.now() / 1000);
    const result = (await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(opaque) }))) as { isAuthorized: boolean; context: { expiresAt: number } };
    expect(result.isAuthorized).toBe(true);
    expect(result.context.expiresAt).toBeGreaterThanOrEqual(before + 60);
    expect(result.context.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 60);
  });

  it('refuses "active": "true" (a string), inactive tokens, and never caches refusals', async () => {
    let answer: unknown = { active: 'true', scope: 'reports' };
    idps.legacy.behaviour = { keys: [], introspect: () => ({ body: answer }) };
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(opaque) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
    answer = { active: false };
    await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(opaque) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
    expect(idps.legacy.count('/introspect')).toBe(2);
  });

  it('refuses an introspected token of another issuer, or expired, or lacking the scope', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [unknown, string][] = [
      [{ active: true, iss: PARTNER_ISSUER, scope: 'reports', exp: now + 60 }, 'issuer_not_accepted'],
      [{ active: true, scope: 'reports', exp: now - 3600 }, 'token_expired'],
      [{ active: true, scope: 'other', exp: now + 60 }, 'insufficient_scope'],
    ];
    for (const [body, code] of cases) {
      idps.legacy.behaviour = { keys: [], introspect: () => ({ body }) };
      const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
      await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(opaque) }));
      expect(telemetry.last?.outcome).toBe(code);
    }
  });

  it('refuses (401, not 500) when introspection fails, and rereads rotated credentials once on a 401', async () => {
    const calls: { id: string; forceFetch: boolean }[] = [];
    idps.legacy.behaviour = { keys: [], introspect: () => ({ status: 401, body: { error: 'invalid_client' } }) };
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps), staticSecrets({ 'gatepass/legacy-introspection': LEGACY_SECRET }, calls));
    await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(opaque) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
    expect(telemetry.introspectionFailures).toHaveLength(1);
    expect(calls.map((c) => c.forceFetch)).toEqual([false, true]);
    await idps.legacy.stop();
    await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(opaque) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
    await idps.legacy.start();
  });

  it('refuses an opaque token on a route whose issuers do not introspect, without a call', async () => {
    await (async () => {
      const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
      await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(opaque) }));
      expect(telemetry.last?.outcome).toBe('token_malformed');
    })();
    expect(idps.legacy.requests.length).toBe(0);
  });
});

describe('authorizer: weak keys are rejected however they are served', () => {
  it('drops a 1024-bit RSA key even when it is the only key', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'only-weak', alg: 'RS256' };
    idps.partner.behaviour = { keys: [jwk] };
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    const token = signRaw(pair.privateKey, 'RS256', { alg: 'RS256', kid: 'only-weak' }, { iss: PARTNER_ISSUER, aud: API_AUD, scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 60 });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(telemetry.last?.outcome).toBe('token_invalid');
  });
});

describe('authorizer: the decision line logs the status the caller gets', () => {
  // HTTP API simple responses have one refusal, `isAuthorized: false`, which API Gateway
  // answers with 403 whatever the reason; REST says 401 only by throwing "Unauthorized".
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
  it('logs 403 beside the code for a refusal on an HTTP API (payload 2.0 simple response)', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    expect(await authorizer.handle(httpApiEvent({ ...ordersRead }))).toEqual({ isAuthorized: false });
    expect(telemetry.last).toMatchObject({ outcome: 'token_missing', status: 403, format: 'http-v2' });
    const noScope = await partnerToken(partnerRs, { scope: 'profile' });
    expect(await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(noScope) }))).toEqual({ isAuthorized: false });
    expect(telemetry.last).toMatchObject({ outcome: 'insufficient_scope', status: 403, format: 'http-v2' });
  });

  it('logs 401 for a REST refusal thrown as Unauthorized, and 403 for a REST Deny', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    expect((await restOutcome(authorizer, restRequestEvent({ ...ordersRead }))).status).toBe(401);
    expect(telemetry.last).toMatchObject({ outcome: 'token_missing', status: 401, format: 'rest-request' });
    await expect(authorizer.handle(restTokenEvent({ ...ordersRead }))).rejects.toThrow(/^Unauthorized$/);
    expect(telemetry.last).toMatchObject({ outcome: 'token_missing', status: 401 });
    const noScope = await partnerToken(partnerRs, { scope: 'profile' });
    expect((await restOutcome(authorizer, restRequestEvent({ ...ordersRead, authorization: bearer(noScope) }))).status).toBe(403);
    expect(telemetry.last).toMatchObject({ outcome: 'insufficient_scope', status: 403, format: 'rest-request' });
  });
});

describe('authorizer: the decision reason names what failed', () => {
  // aws-jwt-verify's errors carry no `name` (node_modules/aws-jwt-verify/dist/esm/error.js):
  // the authorizer maps them by class, and these phrases are what operators search for.
  const inAMinute = () => Math.floor(Date.now() / 1000) + 60;
  const claims = () => ({ iss: PARTNER_ISSUER, sub: 'alice', aud: API_AUD, scope: 'orders:read', exp: inAMinute() });

  async function reasonsFor(tokens: readonly string[], document = testConfigDocument(idps)) {
    const { authorizer, telemetry } = buildAuthorizer(document);
    const reasons: (string | undefined)[] = [];
    for (const token of tokens) {
      expect(await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }))).toEqual({ isAuthorized: false });
      reasons.push(telemetry.last?.reason);
    }
    return reasons;
  }

  it('says "bad signature" for a signature the key its kid names does not verify', async () => {
    const forger = await generateTestKey('RS256');
    const token = signRaw(forger, 'RS256', { alg: 'RS256', kid: partnerRs.kid }, claims());
    expect(await reasonsFor([token])).toEqual(['bad signature']);
  });

  it('says "unknown kid" for a kid the JWKS does not hold, also while the penalty box holds the refetch back', async () => {
    const stranger = await generateTestKey('RS256', { kid: 'not-published' });
    const token = await partnerToken(stranger);
    expect(await reasonsFor([token, token])).toEqual(['unknown kid', 'unknown kid']);
    expect(idps.partner.count('/jwks')).toBe(1);
  });

  it('tells a spoofed jku apart by what failed: its server is never asked', async () => {
    const attacker = await generateTestKey('RS256');
    const jku = 'http://127.0.0.1:9/attacker/jwks.json';
    const sameKid = signRaw(attacker, 'RS256', { alg: 'RS256', kid: partnerRs.kid, jku }, claims());
    const ownKid = signRaw(attacker, 'RS256', { alg: 'RS256', kid: attacker.kid, jku }, claims());
    expect(await reasonsFor([sameKid])).toEqual(['bad signature']);
    expect(await reasonsFor([ownKid])).toEqual(['unknown kid']);
  });

  it('says "JWKS unreachable" when the JWKS endpoint fails, and while the penalty box holds the next fetch back', async () => {
    idps.partner.behaviour = { keys: [], jwks: { status: 503, body: 'down' } };
    const token = await partnerToken(partnerRs);
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    for (let i = 0; i < 2; i++) await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(telemetry.decisions.map((d) => d.reason)).toEqual(['JWKS unreachable', 'JWKS unreachable']);
    expect(telemetry.jwksFailures).toEqual([expect.objectContaining({ error: 'JWKS unreachable', reason: expect.stringMatching(/HTTP 503/) })]);
    expect(idps.partner.count('/jwks')).toBe(1);
  });

  it('says "JWKS unusable" when the JWKS endpoint answers something that is not a JWKS', async () => {
    idps.partner.behaviour = { keys: [], jwks: { body: '{nope' } };
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(await partnerToken(partnerRs)) }));
    expect(telemetry.last?.reason).toBe('JWKS unusable');
    expect(telemetry.jwksFailures).toEqual([expect.objectContaining({ error: 'JWKS unusable', reason: 'JWKS is not valid UTF-8 JSON' })]);
  });

  it('says "alg not accepted" for an alg outside the issuer list, and "alg does not fit the key" for a key of another type', async () => {
    const rsOnly = testConfigDocument(idps, { partner: { algorithms: ['RS256'] } });
    expect(await reasonsFor([await partnerToken(partnerEs)], rsOnly)).toEqual(['alg not accepted']);
    const misfit = signRaw(partnerEs, 'ES256', { alg: 'RS256', kid: partnerEs.kid }, claims());
    expect(await reasonsFor([misfit])).toEqual(['alg does not fit the key']);
  });

  it('says "expired", "not yet valid", "issued in the future" and "audience not accepted" for the claims', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(
      await reasonsFor([
        await partnerToken(partnerRs, { exp: now - 3600 }),
        await partnerToken(partnerRs, { nbf: now + 3600 }),
        await partnerToken(partnerRs, { iat: now + 3600 }),
        await partnerToken(partnerRs, { aud: 'https://elsewhere.example' }),
      ]),
    ).toEqual(['expired', 'not yet valid', 'issued in the future', 'audience not accepted']);
  });

  it('says "typ not accepted" and "no exp" for the issuer rules gatepass adds', async () => {
    const atOnly = testConfigDocument(idps, { partner: { tokenTypes: ['at+jwt'] } });
    expect(await reasonsFor([await partnerToken(partnerRs, {}, { header: { typ: 'JWT' } })], atOnly)).toEqual(['typ not accepted']);
    expect(await reasonsFor([await partnerToken(partnerRs, {}, { omitExp: true })])).toEqual(['no exp']);
  });
});
