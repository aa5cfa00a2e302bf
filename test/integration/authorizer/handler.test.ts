import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpApiEvent, restRequestEvent } from '../../support/authorizer-events.js';
import { PARTNER_ISSUER, startIdps, stopIdps, testConfigDocument, type Idps } from '../../support/authorizer-harness.js';
import { generateTestKey, mintJwt } from '../../support/token-minter.js';

let idps: Idps;
let output: string[];
let handler: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  idps = await startIdps();
  output = [];
  // Powertools writes its JSON lines to stdout (info, EMF metrics) and stderr (warn, error).
  const capture = (chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  process.env['GATEPASS_CONFIG'] = JSON.stringify(testConfigDocument(idps));
  vi.resetModules();
  ({ handler } = (await import('../../../functions/authorizer/handler.js')) as { handler: (event: unknown) => Promise<unknown> });
});

afterAll(async () => {
  delete process.env['GATEPASS_CONFIG'];
  vi.restoreAllMocks();
  await stopIdps(idps);
});

describe('authorizer handler (Lambda entry point)', () => {
  it('loads the configuration at init and decides with one log line and one metric per request, never logging the token', async () => {
    const key = await generateTestKey('ES256');
    idps.partner.behaviour = { keys: [key.publicJwk] };
    const token = await mintJwt(key, { iss: PARTNER_ISSUER, sub: 'alice', aud: 'https://api.example.com', scope: 'orders:read' });
    output.length = 0;
    const allowed = await handler(httpApiEvent({ method: 'GET', path: '/orders/{id}', authorization: `Bearer ${token}` }));
    expect(allowed).toMatchObject({ isAuthorized: true, context: { route: 'orders-read' } });
    await expect(handler(restRequestEvent({ method: 'GET', path: '/orders/{id}', authorization: `Bearer ${token}x` }))).rejects.toThrow(/^Unauthorized$/);

    const lines = output.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const decisions = lines.filter((l) => l['message'] === 'authorizer.decision');
    expect(decisions.map((d) => d['outcome'])).toEqual(['allow', 'token_malformed']);
    expect(decisions[0]).toMatchObject({ level: 'INFO', service: 'gatepass-authorizer', route: 'orders-read', issuer: 'partner' });
    const metrics = lines.filter((l) => l['_aws'] !== undefined);
    expect(metrics.map((m) => Object.keys(m).find((k) => k === 'Allowed' || k === 'Denied'))).toEqual(['Allowed', 'Denied']);
    expect(metrics[1]).toMatchObject({ code: 'token_malformed', service: 'gatepass-authorizer' });

    const all = output.join('');
    for (const part of [token, ...token.split('.')]) expect(all).not.toContain(part);
  });

  it('turns an unsupported event into a 500 (an internal error with a metric), never an allow', async () => {
    output.length = 0;
    await expect(handler({ unexpected: true })).rejects.toThrow('authorizer internal error');
    const all = output.join('');
    expect(all).toContain('authorizer.internal_error');
    expect(all).toContain('AuthorizerInternalError');
  });
});

describe('authorizer handler logging', () => {
  it('has the same redaction net as the exchange Lambda: a JWT-shaped value that reaches a log line is redacted', async () => {
    // A JWKS URI whose path looks like a JWT: the failed fetch logs it (jwks.fetch_failed).
    const canaryJwt = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhdXRob3JpemVyLWNhbmFyeSJ9.Y2FuYXJ5';
    const document = testConfigDocument(idps, { partner: { jwksUri: `${idps.partner.origin}/${canaryJwt}` } });
    process.env['GATEPASS_CONFIG'] = JSON.stringify(document);
    vi.resetModules();
    const { handler: redacting } = (await import('../../../functions/authorizer/handler.js')) as { handler: (event: unknown) => Promise<unknown> };
    const key = await generateTestKey('ES256');
    const token = await mintJwt(key, { iss: PARTNER_ISSUER, sub: 'alice', aud: 'https://api.example.com', scope: 'orders:read' });
    output.length = 0;
    expect(await redacting(httpApiEvent({ method: 'GET', path: '/orders/{id}', authorization: `Bearer ${token}` }))).toEqual({ isAuthorized: false });
    const all = output.join('');
    expect(all).toContain('jwks.fetch_failed');
    expect(all).toContain('[redacted]');
    expect(all).not.toContain(canaryJwt);
  });
});

describe('authorizer handler built without introspection', () => {
  it('refuses at init a configuration whose issuers introspect', async () => {
    const idpsHere = await startIdps();
    process.env['GATEPASS_CONFIG'] = JSON.stringify(testConfigDocument(idpsHere));
    process.env['GATEPASS_BUNDLE_INTROSPECTION'] = 'false';
    try {
      vi.resetModules();
      await expect(import('../../../functions/authorizer/handler.js')).rejects.toThrow(/built without introspection/);
    } finally {
      delete process.env['GATEPASS_BUNDLE_INTROSPECTION'];
      await stopIdps(idpsHere);
    }
  });
});
