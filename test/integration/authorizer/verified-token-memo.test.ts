import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedAuthorizerContext } from '../../../functions/shared/contracts/authorizer-context.js';
import { httpApiEvent, restRequestEvent } from '../../support/authorizer-events.js';
import { buildAuthorizer, PARTNER_ISSUER, startIdps, stopIdps, testConfigDocument, type Idps } from '../../support/authorizer-harness.js';
import { generateTestKey, mintJwt, type TestKey } from '../../support/token-minter.js';

/**
 * The verified-token memo keeps what the first validation derived from a token (issuer,
 * subject, client, scope, expiry); a remembered token skips only the signature check.
 */

let idps: Idps;
let key: TestKey;
const ordersRead = { method: 'GET', path: '/orders/{id}' };
const bearer = (token: string) => `Bearer ${token}`;

beforeAll(async () => {
  idps = await startIdps();
  key = await generateTestKey('ES256');
  idps.partner.behaviour = { keys: [key.publicJwk] };
});

afterAll(async () => {
  await stopIdps(idps);
});

const partnerToken = (claims: Record<string, unknown> = {}) =>
  mintJwt(key, { iss: PARTNER_ISSUER, sub: 'alice', aud: 'https://api.example.com', client_id: 'partner-app', scope: 'orders:read profile', ...claims }, { expiresIn: 600 });

describe('verified-token memo', () => {
  it('answers a repeated token with the same context as its first validation, in every event format', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken();
    const first = (await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }))) as { context: EncodedAuthorizerContext };
    expect(telemetry.last).toMatchObject({ via: 'jwt' });
    const again = (await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }))) as { context: EncodedAuthorizerContext };
    expect(telemetry.last).toMatchObject({ outcome: 'allow', via: 'memo', subject: 'alice', issuer: 'partner' });
    expect(again.context).toEqual(first.context);
    expect(first.context).toMatchObject({ route: 'orders-read', action: 'exchange', subject: 'alice', clientId: 'partner-app', scope: 'orders:read profile' });
    const rest = (await authorizer.handle(restRequestEvent({ ...ordersRead, authorization: bearer(token) }))) as { context: EncodedAuthorizerContext };
    expect(rest.context).toEqual(first.context);
  });

  it('does not serve a copy of a remembered token with another signature: it is verified, and refused', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken({ sub: 'bob' });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    const [h, p, s] = token.split('.') as [string, string, string];
    const forged = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    const answer = await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(forged) }));
    expect(answer).toEqual({ isAuthorized: false });
    expect(telemetry.last).toMatchObject({ outcome: 'token_invalid' });
    expect(telemetry.last?.via).toBeUndefined();
  });

  it('fetches no JWKS and verifies nothing for a remembered token', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps));
    const token = await partnerToken({ sub: 'carol' });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    const fetches = idps.partner.count('/jwks');
    idps.partner.behaviour = { keys: [], jwks: { status: 503, body: 'down' } };
    try {
      await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
      expect(telemetry.last).toMatchObject({ outcome: 'allow', via: 'memo' });
      expect(idps.partner.count('/jwks')).toBe(fetches);
    } finally {
      idps.partner.behaviour = { keys: [key.publicJwk] };
    }
  });

  it('remembers nothing when the memo is off', async () => {
    const { authorizer, telemetry } = buildAuthorizer(testConfigDocument(idps, { settings: { verifiedTokenMemo: { maxEntries: 0 } } }));
    const token = await partnerToken({ sub: 'dave' });
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    await authorizer.handle(httpApiEvent({ ...ordersRead, authorization: bearer(token) }));
    expect(telemetry.decisions.map((d) => d.via)).toEqual(['jwt', 'jwt']);
  });
});
