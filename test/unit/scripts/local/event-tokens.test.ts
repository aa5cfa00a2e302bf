import { describe, expect, it } from 'vitest';
import { tokenIdOf } from '../../../../functions/shared/token-id.js';
import type { DemoToken, DemoTokenRequest } from '../../../../scripts/local/demo-tokens.js';
import { EventTokenError, parseMarker, refreshEventTokens } from '../../../../scripts/local/event-tokens.js';
import { loadExchangeEvent } from '../../../support/exchange-events.js';

/** A stand-in for the local stack's token endpoint: numbered tokens, remembered requests. */
function recordingMint() {
  const requests: DemoTokenRequest[] = [];
  const mint = (request: DemoTokenRequest): Promise<DemoToken> => {
    requests.push(request);
    return Promise.resolve({ token: `fresh.token.${requests.length}`, issuer: request.issuer, expiresAt: 2_000_000_000 + requests.length, how: 'signed' });
  };
  return { requests, mint };
}

describe('token markers', () => {
  it('name the issuer, scopes, subject and expiry of the token they stand for', () => {
    expect(parseMarker('{{token:partner scope=orders:read}}')).toEqual({ issuer: 'partner', scope: ['orders:read'], expired: false });
    expect(parseMarker('{{token:corp scope=orders:read+orders:admin sub=carol expired}}')).toEqual({ issuer: 'corp', scope: ['orders:read', 'orders:admin'], subject: 'carol', expired: true });
  });

  it('refuse an issuer the local stack does not have, and unknown options', () => {
    expect(() => parseMarker('{{token:nobody scope=x}}')).toThrow(EventTokenError);
    expect(() => parseMarker('{{token:partner colour=blue}}')).toThrow(/unknown option colour/);
  });
});

describe('refreshing a sample event', () => {
  it('replaces every occurrence of a marker by one fresh token', async () => {
    const { requests, mint } = recordingMint();
    const event = { headers: { authorization: 'Bearer {{token:partner scope=orders:read}}' }, identitySource: ['Bearer {{token:partner scope=orders:read}}'], other: '{{token:corp scope=x}}' };
    const { event: refreshed, minted } = await refreshEventTokens(event, mint);
    expect(refreshed).toEqual({ headers: { authorization: 'Bearer fresh.token.1' }, identitySource: ['Bearer fresh.token.1'], other: 'fresh.token.2' });
    expect(requests.map((r) => r.issuer)).toEqual(['partner', 'corp']);
    expect(minted).toHaveLength(2);
  });

  it("replaces a REST sample's placeholder token with one of the context's issuer and scope, and fixes tokenId and expiresAt", async () => {
    const { requests, mint } = recordingMint();
    const { event } = await refreshEventTokens(loadExchangeEvent('rest-api-v1'), mint);
    const e = event as { headers: Record<string, string>; multiValueHeaders: Record<string, string[]>; requestContext: { authorizer: Record<string, unknown> } };
    expect(requests).toEqual([{ issuer: 'partner', scope: ['orders:read', 'profile'] }]);
    expect(e.headers['Authorization']).toBe('Bearer fresh.token.1');
    expect(e.multiValueHeaders['Authorization']).toEqual(['Bearer fresh.token.1']);
    expect(e.requestContext.authorizer['tokenId']).toBe(tokenIdOf('fresh.token.1'));
    expect(e.requestContext.authorizer['expiresAt']).toBe('2000000001');
  });

  it('keeps expiresAt a number in an HTTP API sample', async () => {
    const { mint } = recordingMint();
    const { event } = await refreshEventTokens(loadExchangeEvent('http-api-v2'), mint);
    const context = (event as { requestContext: { authorizer: { lambda: Record<string, unknown> } } }).requestContext.authorizer.lambda;
    expect(context).toMatchObject({ tokenId: tokenIdOf('fresh.token.1'), expiresAt: 2000000001, issuer: 'legacy' });
  });

  it('fills {{tokenId}} and {{expiresAt}} from the bearer token a marker became', async () => {
    const { mint } = recordingMint();
    const sample = {
      version: '2.0',
      headers: { authorization: 'Bearer {{token:corp scope=orders:read}}' },
      requestContext: { authorizer: { lambda: { issuer: 'corp', tokenId: '{{tokenId}}', expiresAt: '{{expiresAt}}' } } },
    };
    const { event } = await refreshEventTokens(sample, mint);
    expect((event as typeof sample).requestContext.authorizer.lambda).toEqual({ issuer: 'corp', tokenId: tokenIdOf('fresh.token.1'), expiresAt: 2000000001 });
  });

  it('leaves an event without authorizer context and without markers as it is', async () => {
    const { requests, mint } = recordingMint();
    const sample = loadExchangeEvent('rest-api-v1-no-authorizer');
    expect((await refreshEventTokens(sample, mint)).event).toEqual(sample);
    expect(requests).toEqual([]);
  });

  it('leaves a placeholder alone when the context names another token (a deliberate mismatch)', async () => {
    const { requests, mint } = recordingMint();
    const sample = loadExchangeEvent('rest-api-v1');
    sample['requestContext']['authorizer']['tokenId'] = 'f'.repeat(32);
    const { event } = await refreshEventTokens(sample, mint);
    expect((event as Record<string, Record<string, string>>)['headers']!['Authorization']).toBe('Bearer placeholder-partner-access-token');
    expect(requests).toEqual([]);
  });
});
