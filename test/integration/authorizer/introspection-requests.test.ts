import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpApiEvent } from '../../support/authorizer-events.js';
import {
  buildAuthorizer,
  LEGACY_ISSUER,
  LEGACY_SECRET,
  PARTNER_ISSUER,
  staticSecrets,
  startIdps,
  stopIdps,
  testConfigDocument,
  type Idps,
} from '../../support/authorizer-harness.js';
import { generateTestKey, mintJwt, type TestKey } from '../../support/token-minter.js';

/** What the authorizer sends to an introspection endpoint, and what it must never send there. */
let idps: Idps;
let foreignKey: TestKey;
const introspected: { token: string | null; authorization: string | undefined }[] = [];

const reports = { method: 'GET', path: '/reports/{proxy+}' };
const mixed = { method: 'GET', path: '/mixed' };
const bearer = (token: string) => `Bearer ${token}`;

/** The test configuration plus a route that accepts a JWT issuer and the introspecting one. */
function documentWithMixedRoute(): Record<string, unknown> {
  const document = testConfigDocument(idps);
  (document['routes'] as Record<string, unknown>[]).push({ id: 'mixed', method: 'GET', path: '/mixed', upstream: 'http://127.0.0.1:9/mixed', acceptedIssuers: ['partner', 'legacy'] });
  return document;
}

beforeAll(async () => {
  idps = await startIdps();
  foreignKey = await generateTestKey('ES256');
});

afterAll(async () => {
  await stopIdps(idps);
});

beforeEach(() => {
  introspected.length = 0;
  idps.legacy.requests.length = 0;
  idps.legacy.behaviour = {
    keys: [],
    introspect: (form, authorization) => {
      introspected.push({ token: form.get('token'), authorization });
      return { body: { active: true, iss: LEGACY_ISSUER, sub: 'carol', scope: 'reports', exp: Math.floor(Date.now() / 1000) + 300 } };
    },
  };
});

describe('a JWT is introspected only by the issuer that issued it', () => {
  it('refuses a JWT whose iss is not configured, on a route with an introspecting issuer, without calling the endpoint', async () => {
    const foreign = await mintJwt(foreignKey, { iss: 'https://idp.elsewhere.example', sub: 'mallory', scope: 'reports' });
    const { authorizer, telemetry } = buildAuthorizer(documentWithMixedRoute());
    for (const route of [reports, mixed]) {
      const result = await authorizer.handle(httpApiEvent({ ...route, authorization: bearer(foreign) }));
      expect(result).toEqual({ isAuthorized: false });
      // An HTTP API simple-response authorizer can only refuse with 403, and the decision line says what the caller got.
      expect(telemetry.last).toMatchObject({ outcome: 'issuer_not_accepted', status: 403 });
    }
    expect(idps.legacy.count('/introspect')).toBe(0);
  });

  it('refuses a JWT without iss, and one from a JWT issuer the route does not accept, without calling the endpoint', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    for (const claims of [{ sub: 'mallory', scope: 'reports' }, { iss: PARTNER_ISSUER, sub: 'alice', scope: 'reports' }]) {
      await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer(await mintJwt(foreignKey, claims)) }));
      expect(telemetry.last?.outcome).toBe('issuer_not_accepted');
    }
    expect(idps.legacy.count('/introspect')).toBe(0);
  });

  it('still introspects a JWT that the introspecting issuer itself issued', async () => {
    const own = await mintJwt(foreignKey, { iss: LEGACY_ISSUER, sub: 'carol', scope: 'reports' });
    const { authorizer } = buildAuthorizer(documentWithMixedRoute());
    expect(await authorizer.handle(httpApiEvent({ ...mixed, authorization: bearer(own) }))).toMatchObject({ isAuthorized: true, context: { issuer: 'legacy' } });
    expect(introspected.map((call) => call.token)).toEqual([own]);
  });

  it('still introspects an opaque token (not JWS-shaped) on such a route', async () => {
    const opaque = 'opaque-token-0123456789abcdef';
    const { authorizer } = buildAuthorizer(documentWithMixedRoute());
    expect(await authorizer.handle(httpApiEvent({ ...mixed, authorization: bearer(opaque) }))).toMatchObject({ isAuthorized: true, context: { issuer: 'legacy' } });
    expect(introspected.map((call) => call.token)).toEqual([opaque]);
  });
});

describe('client authentication at the introspection endpoint (RFC 7662 §2.1, RFC 6749 §2.3.1)', () => {
  const awkward = { client_id: 'gate pass:é', client_secret: "s3cret! '()~ :*-._%+/=€" };

  it('sends client_secret_basic that a form decoder reads back exactly, with ! \' ( ) ~ escaped', async () => {
    const { authorizer } = buildAuthorizer(testConfigDocument(idps), staticSecrets({ 'gatepass/legacy-introspection': JSON.stringify(awkward) }));
    await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer('opaque-token-basic-0123456789') }));
    const pair = Buffer.from(introspected[0]!.authorization!.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(pair).toBe('gate+pass%3A%C3%A9:s3cret%21+%27%28%29%7E+%3A*-._%25%2B%2F%3D%E2%82%AC');
    const [id, secret] = pair.split(':').map((part) => new URLSearchParams(`v=${part}`).get('v'));
    expect({ client_id: id, client_secret: secret }).toEqual(awkward);
  });

  it('sends client_secret_post as form parameters and no Authorization header', async () => {
    const document = testConfigDocument(idps);
    const issuers = document['issuers'] as Record<string, { introspection: Record<string, unknown> }>;
    issuers['legacy']!.introspection['clientAuth'] = 'client_secret_post';
    const forms: URLSearchParams[] = [];
    idps.legacy.behaviour = { keys: [], introspect: (form) => (forms.push(form), { body: { active: true, scope: 'reports' } }) };
    const { authorizer } = buildAuthorizer(document, staticSecrets({ 'gatepass/legacy-introspection': LEGACY_SECRET }));
    await authorizer.handle(httpApiEvent({ ...reports, authorization: bearer('opaque-token-post-0123456789') }));
    expect(idps.legacy.requests.at(-1)?.authorization).toBeUndefined();
    expect(Object.fromEntries(forms[0]!)).toEqual({ token: 'opaque-token-post-0123456789', token_type_hint: 'access_token', client_id: 'gatepass', client_secret: 'legacy-s3cret' });
  });
});
