import { describe, expect, it } from 'vitest';
import { TokenType, type ActorConfig } from '../../../../functions/shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../../../functions/shared/errors.js';
import { actDepthOf, actorHeaderToken, ActorResolver, checkMayAct } from '../../../../functions/exchange/policy/actor-resolver.js';
import type { IssuedToken } from '../../../../functions/exchange/exchange-model.js';
import { tokenClientConfig } from '../../../support/token-client-fixtures.js';

const AS_ISSUER = 'https://login.corp.example';
const jwt = (payload: object) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
const gatewayToken = jwt({ iss: AS_ISSUER, sub: 'gatepass-client', client_id: 'gatepass-client' });

function resolver(maxActDepth = 1) {
  const config = tokenClientConfig({ corp: { issuer: AS_ISSUER, tokenEndpoint: 'https://login.corp.example/token', clientSecretId: 'gatepass/corp' } }, { maxActDepth });
  const fetched: string[] = [];
  const gatewayTokens = {
    clientCredentialsToken: async (as: string): Promise<IssuedToken> => {
      fetched.push(as);
      return { accessToken: gatewayToken, issuedTokenType: TokenType.AccessToken, tokenType: 'Bearer', expiresIn: 300, scope: [] };
    },
  };
  return { resolver: new ActorResolver({ config, gatewayTokens }), fetched };
}

const deniedBy = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatepassError);
    expect((error as GatepassError).code).toBe(ErrorCode.ExchangeDenied);
    return (error as GatepassError).message;
  }
  throw new Error('expected exchange_denied');
};

describe('act depth', () => {
  it('counts nested act objects', () => {
    expect(actDepthOf({})).toBe(0);
    expect(actDepthOf({ act: { sub: 'a' } })).toBe(1);
    expect(actDepthOf({ act: { sub: 'a', act: { sub: 'b', act: { sub: 'c' } } } })).toBe(3);
    expect(actDepthOf({ act: 'not an object' })).toBe(0);
  });

  it('stops counting a hostile chain at a bound', () => {
    let claims: Record<string, unknown> = { sub: 'leaf' };
    for (let i = 0; i < 1000; i += 1) claims = { act: claims };
    expect(actDepthOf(claims)).toBe(64);
  });

  it('refuses a subject token whose act chain is deeper than maxActDepth, whatever the actor mode', async () => {
    const { resolver: strict } = resolver(1);
    const claims = { sub: 'alice', act: { sub: 'a', act: { sub: 'b' } } };
    await expect(strict.resolve({ actor: { source: 'none' }, authorizationServer: 'corp', headers: {}, subjectClaims: claims })).rejects.toMatchObject({
      code: ErrorCode.ExchangeDenied,
    });
    const { resolver: lenient } = resolver(2);
    await expect(lenient.resolve({ actor: { source: 'none' }, authorizationServer: 'corp', headers: {}, subjectClaims: claims })).resolves.toBeUndefined();
  });

  it('refuses any act at all when maxActDepth is 0', async () => {
    const { resolver: none } = resolver(0);
    await expect(none.resolve({ actor: { source: 'none' }, authorizationServer: 'corp', headers: {}, subjectClaims: { act: { sub: 'a' } } })).rejects.toBeInstanceOf(GatepassError);
  });
});

describe('actor modes', () => {
  it('sends no actor for source none', async () => {
    const { resolver: r, fetched } = resolver();
    expect(await r.resolve({ actor: { source: 'none' }, authorizationServer: 'corp', headers: {}, subjectClaims: {} })).toBeUndefined();
    expect(fetched).toEqual([]);
  });

  it('uses the gateway client-credentials token of the route’s authorization server', async () => {
    const { resolver: r, fetched } = resolver();
    const actor = await r.resolve({ actor: { source: 'gateway', enforceMayAct: false }, authorizationServer: 'corp', headers: {}, subjectClaims: {} });
    expect(actor).toEqual({ token: gatewayToken, tokenType: TokenType.AccessToken });
    expect(fetched).toEqual(['corp']);
  });

  it('takes a header actor token, stripping a Bearer prefix', async () => {
    const { resolver: r } = resolver();
    const actor: ActorConfig = { source: 'header', header: 'X-Actor-Token', enforceMayAct: false };
    expect(await r.resolve({ actor, authorizationServer: 'corp', headers: { 'x-actor-token': 'Bearer abc.def.ghi' }, subjectClaims: {} })).toEqual({ token: 'abc.def.ghi', tokenType: TokenType.AccessToken });
    expect(await r.resolve({ actor, authorizationServer: 'corp', headers: { 'X-ACTOR-TOKEN': ['opaque-token'] }, subjectClaims: {} })).toMatchObject({ token: 'opaque-token' });
  });
});

describe('the actor header', () => {
  it.each([
    ['missing', {}],
    ['repeated', { 'x-actor': ['a', 'b'] }],
    ['sent twice under different cases', { 'x-actor': 'a', 'X-Actor': 'b' }],
    ['comma-joined by an HTTP API', { 'x-actor': 'a, b' }],
    ['empty', { 'x-actor': '   ' }],
    ['only a Bearer prefix', { 'x-actor': 'Bearer  ' }],
    ['not a b64token', { 'x-actor': 'Bearer a b' }],
    ['holding a quote', { 'x-actor': 'abc"def' }],
    ['longer than maxTokenLength', { 'x-actor': 'a'.repeat(300) }],
  ])('is refused when %s', (_name, headers) => {
    deniedBy(() => actorHeaderToken(headers, 'X-Actor', 256));
  });

  it('never repeats the header value in its refusal', () => {
    expect(deniedBy(() => actorHeaderToken({ 'x-actor': 'secret value' }, 'X-Actor', 256))).not.toContain('secret');
  });
});

describe('may_act', () => {
  const actorClaims = { iss: 'https://idp.example', sub: 'batch', client_id: 'batch-client' };

  it('allows the actor that may_act names by sub, iss and client_id', () => {
    expect(() => checkMayAct({ sub: 'batch' }, actorClaims)).not.toThrow();
    expect(() => checkMayAct({ sub: 'batch', iss: 'https://idp.example' }, actorClaims)).not.toThrow();
    expect(() => checkMayAct({ client_id: 'batch-client' }, actorClaims)).not.toThrow();
  });

  it.each([
    ['another sub', { sub: 'someone-else' }],
    ['the right sub of another issuer', { sub: 'batch', iss: 'https://other.example' }],
    ['another client', { client_id: 'other-client' }],
    ['nothing it can match', { aud: 'x' }],
    ['a value that is not an object', 'batch'],
  ])('refuses an actor when may_act names %s', (_name, mayAct) => {
    deniedBy(() => checkMayAct(mayAct, actorClaims));
  });

  it('compares sub with the client id of an actor token without sub, and uses the configured issuer when it has no iss', () => {
    expect(() => checkMayAct({ sub: 'svc', iss: AS_ISSUER }, { client_id: 'svc' }, AS_ISSUER)).not.toThrow();
  });

  it('refuses an actor whose claims cannot be read (an opaque token)', () => {
    deniedBy(() => checkMayAct({ sub: 'batch' }, {}));
  });

  it('is enforced only with enforceMayAct, and only when the subject token carries may_act', async () => {
    const { resolver: r } = resolver();
    const mayAct = { may_act: { sub: 'not-the-gateway' } };
    await expect(r.resolve({ actor: { source: 'gateway', enforceMayAct: true }, authorizationServer: 'corp', headers: {}, subjectClaims: mayAct })).rejects.toMatchObject({ code: ErrorCode.ExchangeDenied });
    await expect(r.resolve({ actor: { source: 'gateway', enforceMayAct: false }, authorizationServer: 'corp', headers: {}, subjectClaims: mayAct })).resolves.toBeDefined();
    await expect(r.resolve({ actor: { source: 'gateway', enforceMayAct: true }, authorizationServer: 'corp', headers: {}, subjectClaims: { sub: 'alice' } })).resolves.toBeDefined();
    await expect(
      r.resolve({ actor: { source: 'gateway', enforceMayAct: true }, authorizationServer: 'corp', headers: {}, subjectClaims: { may_act: { sub: 'gatepass-client', iss: AS_ISSUER } } }),
    ).resolves.toBeDefined();
  });

  it('refuses an opaque header actor when may_act must be enforced', async () => {
    const { resolver: r } = resolver();
    const actor: ActorConfig = { source: 'header', header: 'X-Actor', enforceMayAct: true };
    await expect(r.resolve({ actor, authorizationServer: 'corp', headers: { 'x-actor': 'opaque' }, subjectClaims: { may_act: { sub: 'batch' } } })).rejects.toMatchObject({
      code: ErrorCode.ExchangeDenied,
    });
  });
});
