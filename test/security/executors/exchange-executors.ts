import { DynamoDBClient, GetItemCommand, ProvisionedThroughputExceededException, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeJwt } from 'jose';
import { expect, vi } from 'vitest';
import { API_ARN_PREFIX, restTokenEvent } from '../../support/authorizer-events.js';
import { startStalledListener } from '../../support/stalled-listener.js';
import { answers, validTokenAnswer } from '../../support/token-endpoint-fault-server.js';
import { signRaw } from '../../support/token-minter.js';
import { tokenIdOf } from '../../../functions/shared/token-id.js';
import { ACTOR_HEADER, API_AUD, FAULT_SECRET, MCP_RESOURCE, ORDERS_RESOURCE, PARTNER_ISSUER, ROUTES, type ExchangeKit, type ExchangeProbe } from '../support/exchange-kit.js';
import { CACHE_KEY_SECRET_ID } from '../../support/exchange-aws.js';

/**
 * One executor per automated EXCH-* case, and the AUTHZ-CACHE-* cases that need the exchange
 * Lambda. Each returns the probes it made (status, code, requests forwarded); the runner
 * compares them with the catalogue. What a case is about beyond the status (token endpoint
 * calls, what the upstream received, what the table holds) is asserted here.
 */
export type ExchangeExecutor = (kit: ExchangeKit) => Promise<readonly ExchangeProbe[]>;

const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const nowS = () => Math.floor(Date.now() / 1000);

/** Queue each answer, one request per answer, on the fault route. */
async function eachAnswer(kit: ExchangeKit, list: readonly ReturnType<typeof answers.json>[], perCall = 1): Promise<ExchangeProbe[]> {
  const probes: ExchangeProbe[] = [];
  for (const answer of list) {
    kit.fault.queue(...Array.from({ length: perCall }, () => answer));
    probes.push(await kit.call(ROUTES.faultOrders, kit.partnerToken()));
  }
  return probes;
}

const bad = (overrides: Record<string, unknown>) => answers.json(validTokenAnswer({ access_token: `bad-${Math.random().toString(36).slice(2)}`, scope: 'orders:read', ...overrides }));

/** A JWT the fault server signs, forwarded only if gatepass fails to refuse it. */
const issuedJwt = (kit: ExchangeKit, claims: Record<string, unknown>) => kit.faultToken(claims);

function tokenCalls(kit: ExchangeKit): number {
  return kit.corp.tokenRequests.filter((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:token-exchange').length;
}

/** The last token the upstream received. */
function lastForwardedClaims(kit: ExchangeKit): Record<string, unknown> {
  const auth = kit.echo.requests.at(-1)?.headers['authorization']?.[0] ?? '';
  return decodeJwt(auth.replace(/^Bearer /, '')) as Record<string, unknown>;
}

async function item(kit: ExchangeKit, pk: string): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await kit.dynamo.client.send(new GetItemCommand({ TableName: kit.dynamo.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }));
  return Item;
}

/** Runs with a temporary container, then puts a clean default one back. */
async function inContainer<T>(kit: ExchangeKit, options: Parameters<ExchangeKit['container']>[0], run: (handler: Awaited<ReturnType<ExchangeKit['container']>>) => Promise<T>): Promise<T> {
  try {
    return await run(await kit.container(options));
  } finally {
    await kit.freshDefault();
  }
}

export const exchangeExecutors: Readonly<Record<string, ExchangeExecutor>> = {
  // ── cached policies, as the exchange Lambda sees them ────────────────────────────
  'AUTHZ-CACHE-004': async (kit) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { deliverOn: ROUTES.corpAdmin })],
  'AUTHZ-CACHE-005': async (kit) => {
    const other = kit.partnerToken({ sub: 'mallory' });
    return [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { context: (c) => ({ ...c, tokenId: tokenIdOf(other) }) })];
  },
  'AUTHZ-CACHE-006': async (kit) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { context: (c) => ({ ...c, expiresAt: nowS() - 120 }) })],
  'AUTHZ-CACHE-007': async (kit) => {
    // A TOKEN authorizer decides on the concrete path and API Gateway caches by token only.
    const token = kit.partnerToken({ scope: 'orders:read' });
    const decided = (await kit.authorizer.handle(restTokenEvent({ method: 'GET', path: ROUTES.corpOrders.resource, authorization: `Bearer ${token}` }))) as {
      policyDocument: { Statement: { Effect: string; Resource: string }[] };
      context: Record<string, unknown>;
    };
    const resource = decided.policyDocument.Statement[0]!.Resource;
    const nested = `${API_ARN_PREFIX}/GET/corp/orders/42/items`;
    // IAM wildcards match across "/": the cached Allow covers the nested route too (documented in SECURITY.md).
    expect(new RegExp(`^${resource.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(nested)).toBe(true);
    // The second layer: the exchange Lambda refuses a decision made for another route.
    return [await kit.call(ROUTES.corpOrders, token, { deliverOn: ROUTES.corpItems, params: { id: '42' } })];
  },
  'AUTHZ-CACHE-008': async (kit) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { context: () => undefined })],

  // ── malformed token endpoint answers ─────────────────────────────────────────────
  'EXCH-RESP-001': (kit) => eachAnswer(kit, [answers.raw('{"access_token": "x", ', 200, { 'content-type': 'application/json' }), answers.raw('<html>', 200, { 'content-type': 'application/json' })]),
  'EXCH-RESP-002': (kit) => eachAnswer(kit, [answers.json([validTokenAnswer()]), answers.json('a string'), answers.raw('null', 200, { 'content-type': 'application/json' })]),
  'EXCH-RESP-003': (kit) => eachAnswer(kit, [answers.raw(JSON.stringify(validTokenAnswer()), 200, { 'content-type': 'text/html' }), answers.raw(JSON.stringify(validTokenAnswer()), 200, {})]),
  'EXCH-RESP-004': (kit) => eachAnswer(kit, [bad({ access_token: undefined }), bad({ access_token: '' }), bad({ access_token: 42 }), bad({ access_token: ['a'] })]),
  'EXCH-RESP-005': (kit) => eachAnswer(kit, [bad({ access_token: 'tok\r\nX-Injected: yes' }), bad({ access_token: 'tok en' }), bad({ access_token: 'tok\u0000en' })]),
  'EXCH-RESP-006': (kit) => eachAnswer(kit, [bad({ issued_token_type: undefined }), bad({ issued_token_type: 'urn:ietf:params:oauth:token-type:id_token' }), bad({ issued_token_type: '' })]),
  'EXCH-RESP-007': (kit) => eachAnswer(kit, [bad({ token_type: 'DPoP' }), bad({ token_type: 'MAC' }), bad({ token_type: 'N_A' }), bad({ token_type: undefined })]),
  'EXCH-RESP-008': (kit) => eachAnswer(kit, [0, -1, 'soon', true, null, '1e9'].map((expires_in) => bad({ expires_in }))),
  'EXCH-RESP-009': (kit) => eachAnswer(kit, [bad({ scope: ['orders:read'] }), bad({ scope: 'orders:read "quoted"' }), bad({ scope: 'orders:read\\x' })]),
  'EXCH-RESP-010': (kit) =>
    eachAnswer(kit, [answers.raw(`{"__proto__":{"access_token":"proto-token-0123456789"},"issued_token_type":"${ACCESS_TOKEN}","token_type":"Bearer","expires_in":300}`, 200, { 'content-type': 'application/json' })]),
  'EXCH-RESP-011': (kit) => eachAnswer(kit, [answers.status(204)]),
  'EXCH-RESP-012': (kit) => {
    const token = issuedJwt(kit, { scope: 'orders:read' });
    const body = `{"access_token":"${token}","issued_token_type":"${ACCESS_TOKEN}","token_type":"Bearer","expires_in":300,"scope":"orders:read","scope":"orders:read orders:admin"}`;
    return eachAnswer(kit, [answers.raw(body, 200, { 'content-type': 'application/json' })]);
  },

  // ── OAuth error mapping ──────────────────────────────────────────────────────────
  'EXCH-ERR-001': (kit) => eachAnswer(kit, [answers.oauthError('invalid_grant')]),
  'EXCH-ERR-002': (kit) => eachAnswer(kit, ['invalid_target', 'invalid_scope', 'unauthorized_client', 'access_denied', 'invalid_request'].map((e) => answers.oauthError(e))),
  'EXCH-ERR-003': (kit) => eachAnswer(kit, [answers.oauthError('vendor_policy_refusal'), answers.oauthError('invalid_grant', 403)]),
  'EXCH-ERR-004': (kit) => eachAnswer(kit, [answers.oauthError('unsupported_grant_type')]),
  'EXCH-ERR-005': async (kit) => {
    const probes = await eachAnswer(kit, [answers.oauthError('invalid_client', 401)]);
    // The secret did not change, so it was not tried twice.
    expect(kit.fault.requests).toHaveLength(1);
    return probes;
  },
  'EXCH-ERR-006': (kit) => eachAnswer(kit, [answers.oauthError('temporarily_unavailable'), answers.oauthError('server_error', 500)], 2),
  'EXCH-ERR-007': (kit) => eachAnswer(kit, [answers.json({ message: 'bad request' }, 400), answers.raw('Bad Request', 400)]),
  'EXCH-ERR-008': async (kit) => {
    // Valid for the authorizer (sub is optional there), refused by the authorization server (it requires sub).
    const before = tokenCalls(kit);
    const probes = [await kit.call(ROUTES.corpOrders, kit.partnerToken({ sub: undefined }))];
    expect(kit.corp.tokenRequests.at(-1)?.outcome).toBe('invalid_grant');
    expect(tokenCalls(kit)).toBe(before + 1);
    return probes;
  },

  // ── rotation ─────────────────────────────────────────────────────────────────────
  'EXCH-ROT-001': async (kit) =>
    inContainer(kit, {}, async (handler) => {
      await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler });
      const rotated = 'fault-client-secret-rotated-canary-3e8b';
      kit.secrets.add(rotated);
      kit.secretsManager.rotate('gatepass/fault', { client_id: 'gatepass-fault', client_secret: rotated });
      kit.fault.reset();
      kit.fault.fallback = () => kit.faultAnswer();
      kit.fault.queue(answers.oauthError('invalid_client', 401));
      const probe = await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler });
      const sent = kit.fault.requests.map((r) => Buffer.from(String(r.headers.authorization).replace(/^Basic /, ''), 'base64').toString());
      expect(sent).toEqual([`gatepass-fault:${encodeURIComponent(FAULT_SECRET)}`, `gatepass-fault:${rotated}`]);
      kit.secretsManager.rotate('gatepass/fault', { client_id: 'gatepass-fault', client_secret: FAULT_SECRET });
      return [probe];
    }),
  'EXCH-ROT-002': async (kit) =>
    inContainer(kit, {}, async (handler) => {
      await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler });
      const rotated = 'fault-client-secret-not-at-the-server-7c2d';
      kit.secrets.add(rotated);
      kit.secretsManager.rotate('gatepass/fault', { client_id: 'gatepass-fault', client_secret: rotated });
      kit.fault.queue(answers.oauthError('invalid_client', 401), answers.oauthError('invalid_client', 401));
      const probe = await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler });
      kit.secretsManager.rotate('gatepass/fault', { client_id: 'gatepass-fault', client_secret: FAULT_SECRET });
      return [probe];
    }),
  'EXCH-ROT-003': async (kit) =>
    inContainer(kit, {}, async (handler) => {
      await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler });
      kit.secretsManager.rotate('gatepass/fault', 'rotation-wrote-this-by-mistake');
      kit.fault.queue(answers.oauthError('invalid_client', 401));
      const probe = await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler });
      kit.secretsManager.rotate('gatepass/fault', { client_id: 'gatepass-fault', client_secret: FAULT_SECRET });
      return [probe];
    }),

  // ── token endpoint availability ──────────────────────────────────────────────────
  'EXCH-AVAIL-001': async (kit) => {
    const probes = await eachAnswer(kit, [answers.status(429, { 'retry-after': '120' })]);
    expect(kit.fault.requests).toHaveLength(1);
    expect(probes[0]?.headers['retry-after']).toBe('120');
    return probes;
  },
  'EXCH-AVAIL-002': (kit) => eachAnswer(kit, [answers.status(503)], 2),
  'EXCH-AVAIL-003': (kit) => eachAnswer(kit, [answers.slowHeaders(900, kit.faultAnswer({}, { legit: false }))], 2),
  'EXCH-AVAIL-004': (kit) => eachAnswer(kit, [answers.slowBody(JSON.stringify(validTokenAnswer()), 8, 120)], 2),
  'EXCH-AVAIL-005': (kit) => eachAnswer(kit, [answers.oversized(200_000, true)]),
  'EXCH-AVAIL-006': (kit) => eachAnswer(kit, [answers.oversized(200_000, false)]),
  'EXCH-AVAIL-007': async (kit) => {
    kit.attacker.requests.length = 0;
    const probes = await eachAnswer(kit, [answers.redirect(`${kit.attacker.origin}/token`, 302)]);
    expect(kit.attacker.requests).toHaveLength(0);
    return probes;
  },
  'EXCH-AVAIL-008': async (kit) => {
    const probes = await eachAnswer(kit, [answers.redirect(`${kit.attacker.origin}/token`, 307), answers.redirect(`${kit.attacker.origin}/token`, 308)]);
    expect(kit.attacker.requests).toHaveLength(0);
    return probes;
  },
  'EXCH-AVAIL-009': (kit) => eachAnswer(kit, [answers.reset()], 2),
  'EXCH-AVAIL-010': async (kit) => [await kit.call(ROUTES.downOrders, kit.partnerToken())],
  'EXCH-AVAIL-011': (kit) => eachAnswer(kit, [answers.hang()], 2),
  'EXCH-AVAIL-012': async (kit) =>
    inContainer(kit, { settings: { exchange: { circuitBreaker: { failureThreshold: 2, openSeconds: 60 } } } }, async (handler) => {
      kit.fault.queue(answers.status(503), answers.status(503), answers.status(503), answers.status(503));
      const probes = [await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler }), await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler })];
      const asked = kit.fault.requests.length;
      const fast = await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler });
      expect(kit.fault.requests).toHaveLength(asked);
      expect(Number(fast.headers['retry-after'])).toBeGreaterThan(1);
      return [...probes, fast];
    }),
  'EXCH-AVAIL-013': async (kit) => {
    kit.fault.queue(answers.status(503), kit.faultAnswer());
    const probes = [await kit.call(ROUTES.faultOrders, kit.partnerToken())];
    expect(kit.fault.requests).toHaveLength(2);
    return probes;
  },

  // ── scope broadening ─────────────────────────────────────────────────────────────
  'EXCH-NARROW-001': (kit) => eachAnswer(kit, [kit.faultAnswer({ scope: 'orders:read orders:admin' }, { legit: false, claims: { scope: 'orders:read orders:admin' } })]),
  'EXCH-NARROW-002': (kit) => eachAnswer(kit, [kit.faultAnswer({ scope: undefined }, { legit: false, claims: { scope: 'orders:read orders:admin' } })]),
  'EXCH-NARROW-003': (kit) => eachAnswer(kit, [kit.faultAnswer({ scope: 'orders:read' }, { legit: false, claims: { scope: undefined, scp: ['orders:read', 'orders:admin'] } })]),
  'EXCH-NARROW-004': async (kit) => {
    const subject = kit.faultToken({ sub: 'erin', scope: 'orders:read orders:admin' });
    kit.fault.queue(kit.faultAnswer({ scope: 'orders:read orders:admin billing:write' }, { legit: false, claims: { scope: 'orders:read orders:admin billing:write' } }));
    return [await kit.call(ROUTES.faultDownscope, subject)];
  },
  'EXCH-NARROW-005': async (kit) => [await kit.call(ROUTES.laxOrders, kit.partnerToken())],
  'EXCH-NARROW-006': async (kit) => {
    const token = kit.partnerToken();
    const broader = () => kit.faultAnswer({ scope: 'orders:read orders:admin' }, { legit: false, claims: { scope: 'orders:read orders:admin' } });
    kit.fault.queue(broader(), broader());
    const probes = [await kit.call(ROUTES.faultOrders, token), await kit.call(ROUTES.faultOrders, token)];
    expect(kit.fault.requests).toHaveLength(2);
    return probes;
  },

  // ── audience of the issued token ─────────────────────────────────────────────────
  'EXCH-AUD-001': (kit) => eachAnswer(kit, [kit.faultAnswer({}, { legit: false, claims: { aud: 'billing' } })]),
  'EXCH-AUD-002': (kit) => eachAnswer(kit, [kit.faultAnswer({}, { legit: false, claims: { aud: ['orders', 'billing'] } })]),
  'EXCH-AUD-003': (kit) => eachAnswer(kit, [kit.faultAnswer({}, { legit: false, claims: { aud: undefined } })]),
  'EXCH-AUD-004': (kit) => eachAnswer(kit, [kit.faultAnswer({}, { claims: { aud: 'orders' } }), kit.faultAnswer({}, { claims: { aud: [ORDERS_RESOURCE] } })]),
  'EXCH-AUD-005': async (kit) => {
    const opaque = `opaque-issued-${Math.random().toString(36).slice(2)}-0123456789`;
    kit.legit.add(opaque);
    kit.secrets.add(opaque);
    return eachAnswer(kit, [answers.json(validTokenAnswer({ access_token: opaque, scope: 'orders:read' }))]);
  },
  'EXCH-AUD-006': async (kit) => {
    kit.fault.queue(kit.faultAnswer({ scope: 'anything' }, { claims: { aud: 'whatever-the-server-chose', scope: 'anything' } }));
    return [await kit.call(ROUTES.faultOpen, kit.partnerToken())];
  },

  // ── act depth and may_act ────────────────────────────────────────────────────────
  'EXCH-ACT-001': async (kit) => {
    const before = tokenCalls(kit);
    const probes = [await kit.call(ROUTES.corpOrders, kit.partnerToken({ act: { sub: 'service-a', act: { sub: 'service-b' } } }))];
    expect(tokenCalls(kit)).toBe(before);
    return probes;
  },
  'EXCH-ACT-002': async (kit) => {
    let act: Record<string, unknown> = { sub: 'deepest' };
    for (let i = 0; i < 500; i++) act = { act };
    return [await kit.call(ROUTES.corpOrders, kit.partnerToken({ act }))];
  },
  'EXCH-ACT-003': async (kit) => {
    const before = tokenCalls(kit);
    const probes = [await kit.call(ROUTES.gatewayActor, kit.partnerToken({ may_act: { sub: 'another-gateway' } }))];
    expect(tokenCalls(kit)).toBe(before);
    return probes;
  },
  'EXCH-ACT-004': async (kit) => [
    await kit.call(ROUTES.gatewayActor, kit.partnerToken({ may_act: {} })),
    await kit.call(ROUTES.gatewayActor, kit.partnerToken({ may_act: 'gatepass' })),
    await kit.call(ROUTES.gatewayActor, kit.partnerToken({ may_act: { aud: 'x' } })),
  ],
  'EXCH-ACT-005': async (kit) => [await kit.call(ROUTES.headerActor, kit.partnerToken())],
  'EXCH-ACT-006': async (kit) => {
    const a = kit.partnerToken({ sub: 'agent-1' });
    const b = kit.partnerToken({ sub: 'agent-2' });
    return [
      await kit.call(ROUTES.headerActor, kit.partnerToken(), { format: 'v1', multiValueHeaders: { [ACTOR_HEADER]: [a, b] } }),
      await kit.call(ROUTES.headerActor, kit.partnerToken(), { headers: { [ACTOR_HEADER]: `${a},${b}` } }),
    ];
  },
  'EXCH-ACT-007': async (kit) => [await kit.call(ROUTES.headerActor, kit.partnerToken({ may_act: { sub: 'agent-1' } }), { headers: { [ACTOR_HEADER]: 'opaque-actor-token-0123456789' } })],
  'EXCH-ACT-008': async (kit) => {
    // Claims that pass gatepass's pre-filter, signed by a key the partner never published.
    const forged = signRaw(kit.attackerKey, 'RS256', { alg: 'RS256', kid: kit.attackerKey.kid }, { iss: PARTNER_ISSUER, sub: 'agent-1', aud: API_AUD, exp: nowS() + 300 });
    kit.secrets.add(forged);
    const probes = [await kit.call(ROUTES.headerActor, kit.partnerToken({ may_act: { sub: 'agent-1' } }), { headers: { [ACTOR_HEADER]: `Bearer ${forged}` } })];
    expect(kit.corp.tokenRequests.at(-1)?.outcome).toBe('invalid_grant');
    return probes;
  },
  'EXCH-ACT-009': async (kit) => {
    const actor = kit.partnerToken({ sub: 'agent-1' });
    const probes = [await kit.call(ROUTES.headerActor, kit.partnerToken({ sub: 'dana', may_act: { sub: 'agent-1' } }), { headers: { [ACTOR_HEADER]: `Bearer ${actor}` } })];
    const received = kit.echo.requests.at(-1)!;
    expect(received.claims).toMatchObject({ sub: 'dana', act: { sub: 'agent-1', iss: PARTNER_ISSUER } });
    expect(received.headers[ACTOR_HEADER.toLowerCase()]).toBeUndefined();
    expect(JSON.stringify(received)).not.toContain(actor);
    return probes;
  },

  // ── cache key confusion ──────────────────────────────────────────────────────────
  'EXCH-KEY-001': async (kit) => {
    const probes = [];
    for (const sub of ['kim', 'lee']) {
      probes.push(await kit.call(ROUTES.corpOrders, kit.partnerToken({ sub })));
      expect(lastForwardedClaims(kit)['sub']).toBe(sub);
    }
    for (const sub of ['kim', 'lee']) {
      probes.push(await kit.call(ROUTES.corpOrders, kit.partnerToken({ sub })));
      expect(lastForwardedClaims(kit)['sub']).toBe(sub);
    }
    return probes;
  },
  'EXCH-KEY-002': async (kit) => {
    const subject = kit.partnerToken({ sub: 'omar' });
    const iat = nowS();
    const before = tokenCalls(kit);
    const probes = [];
    for (const agent of ['agent-1', 'agent-2', 'agent-1']) {
      probes.push(await kit.call(ROUTES.headerActor, subject, { headers: { [ACTOR_HEADER]: kit.partnerToken({ sub: agent, jti: `fixed-${agent}`, iat, exp: iat + 600 }) } }));
      expect((lastForwardedClaims(kit)['act'] as { sub?: string }).sub).toBe(agent);
    }
    expect(tokenCalls(kit) - before).toBe(2);
    return probes;
  },
  'EXCH-KEY-003': async (kit) => {
    const token = kit.partnerToken({ sub: 'pia' });
    const before = tokenCalls(kit);
    const probes = [await kit.call(ROUTES.corpOrders, token)];
    expect(lastForwardedClaims(kit)['scope']).toBe('orders:read');
    probes.push(await kit.call(ROUTES.corpAdmin, token));
    expect(lastForwardedClaims(kit)['scope']).toBe('orders:admin');
    expect(tokenCalls(kit) - before).toBe(2);
    return probes;
  },
  'EXCH-KEY-004': async (kit) => {
    const alice = kit.partnerToken({ sub: 'alice-copy' });
    const bob = kit.partnerToken({ sub: 'bob-copy' });
    await kit.call(ROUTES.corpOrders, alice);
    const exchange = { audience: ['orders'], scope: ['orders:read'] };
    const stolen = await item(kit, kit.pkOf(kit.tupleFor(alice, 'corp', exchange)));
    expect(stolen).toBeDefined();
    const bobPk = kit.pkOf(kit.tupleFor(bob, 'corp', exchange));
    await kit.dynamo.client.send(new PutItemCommand({ TableName: kit.dynamo.tableName, Item: { ...stolen!, pk: { S: bobPk } } }));
    return inContainer(kit, {}, async (handler) => {
      const probe = await kit.call(ROUTES.corpOrders, bob, { handler });
      expect(lastForwardedClaims(kit)['sub']).toBe('bob-copy');
      return [probe];
    });
  },
  'EXCH-KEY-005': async (kit) => {
    const token = kit.partnerToken({ sub: 'tampered' });
    await kit.call(ROUTES.corpOrders, token);
    const pk = kit.pkOf(kit.tupleFor(token, 'corp', { audience: ['orders'], scope: ['orders:read'] }));
    const stored = (await item(kit, pk))!;
    const sealed = Buffer.from(stored['sealedToken']!.B!);
    sealed[20] = sealed[20]! ^ 0x01;
    await kit.dynamo.client.send(new PutItemCommand({ TableName: kit.dynamo.tableName, Item: { ...stored, sealedToken: { B: sealed } } }));
    const before = tokenCalls(kit);
    return inContainer(kit, {}, async (handler) => {
      const probe = await kit.call(ROUTES.corpOrders, token, { handler });
      expect(tokenCalls(kit)).toBe(before + 1);
      return [probe];
    });
  },
  'EXCH-KEY-006': async (kit) => {
    const token = kit.partnerToken({ sub: 'rotated-key' });
    await kit.call(ROUTES.corpOrders, token);
    const newKey = 'another-cache-key-material-canary-'.padEnd(64, 'z');
    kit.secrets.add(newKey);
    kit.secretsManager.put('gatepass/cache-key-2', newKey);
    const before = tokenCalls(kit);
    return inContainer(kit, { env: { GATEPASS_CACHE_KEY_SECRET_ID: 'gatepass/cache-key-2' } }, async (handler) => {
      const probe = await kit.call(ROUTES.corpOrders, token, { handler });
      expect(tokenCalls(kit)).toBe(before + 1);
      return [probe];
    });
  },

  // ── expiry ───────────────────────────────────────────────────────────────────────
  'EXCH-EXP-001': async (kit) => {
    const token = kit.partnerToken({ sub: 'late-ttl' }, 3600);
    kit.fault.queue(kit.faultAnswer({ expires_in: 60 }));
    await kit.call(ROUTES.faultOrders, token);
    const pk = kit.pkOf(kit.tupleFor(token, 'fault', { audience: ['orders'], resource: [ORDERS_RESOURCE], scope: ['orders:read'] }));
    const stored = await item(kit, pk);
    expect(stored).toBeDefined();
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      vi.setSystemTime(Date.now() + 45_000);
      return await inContainer(kit, {}, async (handler) => {
        const asked = kit.fault.requests.length;
        const probe = await kit.call(ROUTES.faultOrders, token, { handler });
        // The item is still in the table (dynalite, like DynamoDB's TTL, has not removed it), yet unused.
        expect(await item(kit, pk)).toBeDefined();
        expect(kit.fault.requests.length).toBe(asked + 1);
        return [probe];
      });
    } finally {
      vi.useRealTimers();
    }
  },
  'EXCH-EXP-002': async (kit) => {
    const token = kit.partnerToken({ sub: 'short-subject' }, 100);
    kit.fault.queue(kit.faultAnswer({ expires_in: 3600 }));
    const probe = await kit.call(ROUTES.faultOrders, token);
    const subjectExp = (decodeJwt(token).exp ?? 0) as number;
    const stored = await item(kit, kit.pkOf(kit.tupleFor(token, 'fault', { audience: ['orders'], resource: [ORDERS_RESOURCE], scope: ['orders:read'] })));
    expect(Number(stored?.['expiresAt']?.N)).toBeLessThanOrEqual(subjectExp - 30);
    return [probe];
  },
  'EXCH-EXP-003': async (kit) => {
    const token = kit.partnerToken({ sub: 'almost-expired' }, 20);
    const probes = [await kit.call(ROUTES.faultOrders, token), await kit.call(ROUTES.faultOrders, token)];
    expect(kit.fault.requests).toHaveLength(2);
    return probes;
  },
  'EXCH-EXP-004': async (kit) => {
    const token = kit.partnerToken({ sub: 'huge-ttl' }, 200);
    kit.fault.queue(kit.faultAnswer({ expires_in: 1e12 }));
    const probe = await kit.call(ROUTES.faultOrders, token);
    const stored = await item(kit, kit.pkOf(kit.tupleFor(token, 'fault', { audience: ['orders'], resource: [ORDERS_RESOURCE], scope: ['orders:read'] })));
    expect(Number(stored?.['expiresAt']?.N)).toBeLessThanOrEqual(((decodeJwt(token).exp ?? 0) as number) - 30);
    return [probe];
  },

  // ── DynamoDB faults ──────────────────────────────────────────────────────────────
  'EXCH-DDB-001': async (kit) => {
    await kit.dynamo.stop();
    try {
      return await inContainer(kit, {}, async (handler) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { handler })]);
    } finally {
      await kit.dynamo.restart();
    }
  },
  'EXCH-DDB-002': async (kit) => {
    const stalled = await startStalledListener();
    kit.egress.allow(stalled.port);
    try {
      return await inContainer(kit, { env: { AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${stalled.port}` } }, async (handler) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { handler })]);
    } finally {
      stalled.close();
    }
  },
  'EXCH-DDB-003': async (kit) => {
    const mock = mockClient(DynamoDBClient);
    mock.on(GetItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: { httpStatusCode: 400 } }));
    mock.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: { httpStatusCode: 400 } }));
    try {
      return await inContainer(kit, {}, async (handler) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { handler })]);
    } finally {
      mock.restore();
    }
  },
  'EXCH-DDB-004': async (kit) => {
    const mock = mockClient(DynamoDBClient);
    const denied = Object.assign(new Error('User is not authorized to perform dynamodb:GetItem'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    mock.onAnyCommand().rejects(denied);
    try {
      return await inContainer(kit, {}, async (handler) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { handler })]);
    } finally {
      mock.restore();
    }
  },
  'EXCH-DDB-005': async (kit) => {
    const token = kit.partnerToken({ sub: 'malformed-item' });
    const pk = kit.pkOf(kit.tupleFor(token, 'corp', { audience: ['orders'], scope: ['orders:read'] }));
    await kit.dynamo.client.send(new PutItemCommand({ TableName: kit.dynamo.tableName, Item: { pk: { S: pk }, expiresAt: { S: 'never' }, sealedToken: { S: 'not-binary' } } }));
    return inContainer(kit, {}, async (handler) => [await kit.call(ROUTES.corpOrders, token, { handler })]);
  },
  'EXCH-DDB-006': async (kit) => {
    await kit.dynamo.restart();
    const token = kit.partnerToken({ sub: 'after-restart' });
    return inContainer(kit, {}, async (handler) => {
      const probe = await kit.call(ROUTES.corpOrders, token, { handler });
      expect(await item(kit, kit.pkOf(kit.tupleFor(token, 'corp', { audience: ['orders'], scope: ['orders:read'] })))).toBeDefined();
      return [probe];
    });
  },

  // ── Secrets Manager faults ───────────────────────────────────────────────────────
  'EXCH-SM-001': async (kit) => {
    kit.secretsManager.remove('gatepass/fault');
    try {
      return await inContainer(kit, {}, async (handler) => [await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler })]);
    } finally {
      kit.secretsManager.put('gatepass/fault', { client_id: 'gatepass-fault', client_secret: FAULT_SECRET });
    }
  },
  'EXCH-SM-002': async (kit) => {
    kit.secretsManager.fail({ type: 'AccessDeniedException', message: 'not authorized to perform secretsmanager:GetSecretValue' }, 5, 'gatepass/fault');
    try {
      return await inContainer(kit, {}, async (handler) => [await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler })]);
    } finally {
      kit.secretsManager.clearFaults();
    }
  },
  'EXCH-SM-003': async (kit) => {
    const probes = [];
    for (const fault of [{ type: 'ThrottlingException', message: 'Rate exceeded' }, { type: 'InternalServiceError', status: 500 }]) {
      kit.secretsManager.fail(fault, 10, 'gatepass/fault');
      try {
        probes.push(await inContainer(kit, {}, async (handler) => kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler })));
      } finally {
        kit.secretsManager.clearFaults();
      }
    }
    return probes;
  },
  'EXCH-SM-004': async (kit) => {
    const probes = [];
    for (const value of ['not json at all', { client_id: 'gatepass-fault' }, { client_secret: 'x' }]) {
      kit.secretsManager.put('gatepass/fault', value);
      try {
        probes.push(await inContainer(kit, {}, async (handler) => kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler })));
      } finally {
        kit.secretsManager.put('gatepass/fault', { client_id: 'gatepass-fault', client_secret: FAULT_SECRET });
      }
    }
    return probes;
  },
  'EXCH-SM-005': async (kit) => {
    const unreachable = `http://127.0.0.1:${kit.downPort}`;
    return inContainer(kit, { env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: unreachable } }, async (handler) => [await kit.call(ROUTES.faultOrders, kit.partnerToken(), { handler })]);
  },
  'EXCH-SM-006': async (kit) => {
    kit.secretsManager.fail({ type: 'ThrottlingException', message: 'Rate exceeded' }, 20, CACHE_KEY_SECRET_ID);
    try {
      return await inContainer(kit, {}, async (handler) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { handler })]);
    } finally {
      kit.secretsManager.clearFaults();
    }
  },
  'EXCH-SM-007': async (kit) => {
    kit.secretsManager.put('gatepass/cache-key-short', 'too-short-cache-key');
    return inContainer(kit, { env: { GATEPASS_CACHE_KEY_SECRET_ID: 'gatepass/cache-key-short' } }, async (handler) => [await kit.call(ROUTES.corpOrders, kit.partnerToken(), { handler })]);
  },

  // ── concurrency ──────────────────────────────────────────────────────────────────
  'EXCH-CONC-001': async (kit) =>
    inContainer(kit, {}, async (handler) => {
      const token = kit.partnerToken({ sub: 'crowd' });
      const decided = await kit.contextFor(token, ROUTES.corpOrders);
      const before = tokenCalls(kit);
      const probes = await Promise.all(Array.from({ length: 100 }, () => kit.call(ROUTES.corpOrders, token, { handler, decided })));
      expect(tokenCalls(kit) - before).toBe(1);
      return probes;
    }),
  'EXCH-CONC-002': async (kit) =>
    inContainer(kit, {}, async (handler) => {
      const token = kit.partnerToken({ sub: 'failing-leader' });
      const decided = await kit.contextFor(token, ROUTES.faultOrders);
      // The leader's first attempt takes a while, so every follower joins its flight.
      kit.fault.queue(answers.slowHeaders(300, answers.status(503)), answers.status(503));
      const probes = await Promise.all(Array.from({ length: 20 }, () => kit.call(ROUTES.faultOrders, token, { handler, decided })));
      expect(kit.fault.requests).toHaveLength(2);
      const after = await kit.call(ROUTES.faultOrders, token, { handler });
      expect(after).toMatchObject({ status: 200, code: 'ok' });
      expect(kit.fault.requests).toHaveLength(3);
      return probes;
    }),
  'EXCH-CONC-003': async (kit) =>
    inContainer(kit, {}, async (handler) => {
      const subjects = Array.from({ length: 40 }, (_, i) => `crowd-${i}`);
      const probes = await Promise.all(subjects.map((sub) => kit.call(ROUTES.corpOrders, kit.partnerToken({ sub }), { handler, headers: { 'x-test-subject': sub } })));
      const received = kit.echo.requests.slice(-40);
      for (const request of received) expect(request.claims?.['sub']).toBe(request.headers['x-test-subject']?.[0]);
      expect(new Set(received.map((r) => r.claims?.['sub']))).toEqual(new Set(subjects));
      return probes;
    }),

  // ── upstream faults ──────────────────────────────────────────────────────────────
  'EXCH-UP-001': async (kit) => {
    const token = kit.partnerToken({ sub: 'refused-once' });
    await kit.call(ROUTES.upstreamFaults, token);
    const refused = kit.echo.requests.at(-1)!.headers['authorization']![0];
    kit.caseResponder = (req, res) => {
      if (req.headers.authorization !== refused) return false;
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
      return true;
    };
    const before = tokenCalls(kit);
    const probes = [await kit.call(ROUTES.upstreamFaults, token)];
    expect(tokenCalls(kit)).toBe(before + 1);
    expect(kit.echo.requests.at(-1)!.headers['authorization']![0]).not.toBe(refused);
    return probes;
  },
  'EXCH-UP-002': async (kit) => {
    kit.caseResponder = (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
      return true;
    };
    const before = tokenCalls(kit);
    const probes = [await kit.call(ROUTES.upstreamFaults, kit.partnerToken())];
    expect(tokenCalls(kit)).toBe(before + 1);
    return probes;
  },
  'EXCH-UP-003': async (kit) => {
    kit.caseResponder = () => true;
    return [await kit.call(ROUTES.upstreamFaults, kit.partnerToken(), { params: { mode: 'silent' } })];
  },
  'EXCH-UP-004': async (kit) => [await kit.call(ROUTES.upstreamDown, kit.partnerToken())],
  'EXCH-UP-005': async (kit) => {
    kit.caseResponder = (_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024), 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(64 * 1024));
      return true;
    };
    return [await kit.call(ROUTES.upstreamFaults, kit.partnerToken(), { params: { mode: 'huge' } })];
  },
  'EXCH-UP-006': async (kit) => [
    await kit.call(ROUTES.upstreamFaults, kit.partnerToken(), { params: { mode: '..' } }),
    await kit.call(ROUTES.upstreamFaults, kit.partnerToken(), { params: { mode: '%252e%252e' } }),
    await kit.call(ROUTES.upstreamFaults, kit.partnerToken(), { params: { mode: '..\\..' } }),
  ],
  'EXCH-UP-007': async (kit) => {
    kit.caseResponder = (_req, res) => {
      res.writeHead(302, { location: `${kit.attacker.origin}/steal` }).end();
      return true;
    };
    const probes = [await kit.call(ROUTES.upstreamFaults, kit.partnerToken())];
    expect(kit.attacker.requests).toHaveLength(0);
    return probes;
  },
  'EXCH-UP-008': async (kit) => {
    const evil = new URL(kit.attacker.origin).host;
    const probes = [await kit.call(ROUTES.upstreamFaults, kit.partnerToken(), { headers: { host: evil, 'x-forwarded-host': evil, forwarded: `host=${evil}` } })];
    expect(kit.attacker.requests).toHaveLength(0);
    expect(kit.echo.requests.at(-1)!.path).toBe('/up/up-faults/upfault/ok');
    return probes;
  },
  'EXCH-UP-010': async (kit) => {
    const probes = [];
    for (const mode of ['.. ', ' ..', '..\t', '..%20', '..%2500', '%2e%2e%20', '.%00']) probes.push(await kit.call(ROUTES.upstreamFaults, kit.partnerToken(), { params: { mode } }));
    return probes;
  },
  'EXCH-UP-009': async (kit) => {
    const token = kit.partnerToken();
    const probes = [await kit.call(ROUTES.upstreamFaults, token)];
    expect(JSON.stringify(kit.echo.requests.at(-1))).not.toContain(token);
    return probes;
  },
  'EXCH-MCP-001': async (kit) => {
    const probes: ExchangeProbe[] = [];
    for (const aud of [[API_AUD, 'https://api.example.com/other-mcp'], [API_AUD, `${MCP_RESOURCE}/`], [API_AUD, MCP_RESOURCE.toUpperCase()], API_AUD]) {
      for (const format of ['v1', 'v2'] as const) {
        const probe = await kit.callMcp(kit.partnerToken({ aud }), { format });
        // The refusal is a discovery answer too: a 401 naming the route's own metadata (RFC 9728 §5.1).
        expect(probe.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token".*resource_metadata="https:\/\/api\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"/);
        probes.push(probe);
      }
    }
    return probes;
  },
  'EXCH-MCP-002': async (kit) => {
    const probes: ExchangeProbe[] = [];
    for (const format of ['v1', 'v2'] as const) {
      const token = kit.partnerToken({ aud: [API_AUD, MCP_RESOURCE] });
      // A context claiming the authorizer decided "passthrough" for this very token: MCP routes have no authorizer, so it is ignored.
      const forged = { route: 'mcp', action: 'passthrough' as const, issuer: 'partner', subject: 'x', clientId: 'x', scope: 'orders:read', expiresAt: nowS() + 600, tokenId: tokenIdOf(token) };
      for (const context of [undefined, forged]) {
        probes.push(await kit.callMcp(token, { format, ...(context ? { context } : {}) }));
        const received = JSON.stringify(kit.echo.requests.at(-1));
        expect(received).not.toContain(token);
        expect(decodeJwt(kit.echo.requests.at(-1)!.headers['authorization']![0]!.slice('Bearer '.length))).toMatchObject({ iss: kit.corp.issuer, aud: 'orders' });
      }
    }
    return probes;
  },
  'EXCH-MCP-003': async (kit) => {
    const probes: ExchangeProbe[] = [];
    const steering: Record<string, string>[] = [
      {},
      { host: 'attacker.example', 'x-forwarded-host': 'attacker.example' },
      { forwarded: 'host=attacker.example', 'x-forwarded-proto': 'http' },
    ];
    for (const format of ['v1', 'v2'] as const) {
      for (const headers of steering) {
        // A context as if an authorizer had run: the metadata route has none, and nothing in it is read.
        const context = { route: 'mcp', action: 'exchange' as const, issuer: 'corp', subject: 'x', clientId: 'x', scope: '', expiresAt: nowS() + 600, tokenId: '0'.repeat(32) };
        const probe = await kit.callMcp(undefined, { format, method: 'GET', resource: '/.well-known/oauth-protected-resource/mcp', headers, context, query: `authorization_servers=${encodeURIComponent(kit.attacker.origin)}` });
        // Exactly the issuer URLs of the route's accepted issuers: `corp` is configured but not accepted on /mcp.
        expect(JSON.parse(probe.body ?? '{}')).toEqual({ resource: MCP_RESOURCE, authorization_servers: [PARTNER_ISSUER], scopes_supported: ['orders:read'], bearer_methods_supported: ['header'] });
        probes.push(probe);
      }
      // The 401 challenge points at the configured metadata URL, never at the Host the caller sent.
      const refused = await kit.callMcp(undefined, { format, headers: { host: 'attacker.example', 'x-forwarded-host': 'attacker.example' } });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp", scope="orders:read"');
    }
    return probes;
  },
};
