import { describe, expect, it } from 'vitest';
import { DEMO } from '../../../../scripts/local/demo-config.js';
import type { LocalStackUrls } from '../../../../scripts/local/local-stack.js';
import { renderWalkthrough, stepCommands, walkthroughSteps } from '../../../../scripts/local/walkthrough.js';

const urls = { gateway: 'http://127.0.0.1:4280', control: 'http://127.0.0.1:5000' };
const step = (id: string) => walkthroughSteps('http').find((s) => s.id === id)!;

describe('walkthrough commands', () => {
  it('mint a token with npm run token and call the gateway with curl', () => {
    expect(stepCommands(step('cross-issuer-exchange'), urls)).toEqual([
      'TOKEN=$(npm run -s token -- --scope orders:read)',
      'curl -si -H "Authorization: Bearer $TOKEN" http://127.0.0.1:4280/orders/42',
    ]);
  });

  it('quote words with spaces so that the shell keeps them whole, and bodies so that it leaves them alone', () => {
    expect(stepCommands(step('same-issuer-downscoping'), urls)[0]).toBe('TOKEN=$(npm run -s token -- --issuer corp --scope "orders:read orders:admin")');
    expect(stepCommands(step('missing-scope'), urls)[1]).toBe(
      `curl -si -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" --data-binary '{"item":"book"}' http://127.0.0.1:4280/orders`,
    );
  });

  it('switch the token endpoint off and on around the request of the outage step', () => {
    const commands = stepCommands(step('token-endpoint-down'), urls);
    expect(commands[0]).toBe('curl -s -X POST http://127.0.0.1:5000/faults/token-endpoint/down; echo');
    expect(commands.at(-1)).toBe('curl -s -X POST http://127.0.0.1:5000/faults/token-endpoint/up; echo');
  });

  it('expect 401 for an expired token on REST and 403 on HTTP APIs', () => {
    const expired = (flavour: 'http' | 'rest') => walkthroughSteps(flavour).find((s) => s.id === 'expired-token')!.expectedStatus;
    expect(expired('rest')).toBe(401);
    expect(expired('http')).toBe(403);
  });

  it('show the MCP challenge and metadata with curl, and run the SDK client with npm run mcp-client', () => {
    expect(stepCommands(step('mcp-challenge'), urls)).toEqual(['curl -si http://127.0.0.1:4280/mcp']);
    expect(stepCommands(step('mcp-metadata'), urls)).toEqual(['curl -si http://127.0.0.1:4280/.well-known/oauth-protected-resource/mcp']);
    expect(stepCommands(step('mcp-client'), urls)).toEqual(['npm run -s mcp-client -- http://127.0.0.1:4280/mcp']);
  });

  it('expect the MCP challenge to be 401 on both API types, renamed on REST', () => {
    for (const flavour of ['http', 'rest'] as const) expect(walkthroughSteps(flavour).find((s) => s.id === 'mcp-challenge')!.expectedStatus).toBe(401);
    expect(walkthroughSteps('rest').find((s) => s.id === 'mcp-challenge')!.note).toContain('x-amzn-Remapped-WWW-Authenticate');
  });
});

describe('walkthrough answers', () => {
  const entraIssuer = 'http://127.0.0.1:6000/tenant/v2.0';
  const stackUrls = { ...urls, corp: 'http://127.0.0.1:6001', partner: 'http://127.0.0.1:6002', entra: entraIssuer } as LocalStackUrls;

  it("show what the upstream got from the Entra-style tenant: its short scp, the user's oid and the app that asked (azp)", () => {
    const claims = { iss: entraIssuer, sub: 'pairwise-sub', aud: DEMO.entra.ordersAppId, scp: 'Orders.Read', oid: DEMO.entra.user.oid, azp: DEMO.entra.gatewayAppId };
    const upstream = { method: 'GET', path: '/orders-service/entra/orders/42', query: '', headers: { authorization: ['Bearer issued.token.value'] }, bodyBase64: '', claims };
    const { text, mismatches } = renderWalkthrough({ urls: stackUrls }, [
      { step: step('entra-on-behalf-of'), status: 200, headers: new Headers(), body: '{}', upstream, tokens: { TOKEN: 'caller.token.value' } },
    ]);
    expect(text).toContain(
      `→ 200 OK  upstream got an Entra tenant token: sub=pairwise-sub aud=${DEMO.entra.ordersAppId} scp="Orders.Read" oid=${DEMO.entra.user.oid} azp=${DEMO.entra.gatewayAppId}`,
    );
    expect(text).toContain('TOKEN=$(npm run -s token -- --issuer entra --scope access_as_user)');
    expect(mismatches).toEqual([]);
  });
});
