import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { exportJWK, generateKeyPair } from 'jose';
import { expect } from 'vitest';
import { httpApiEvent, restRequestEvent, restTokenEvent } from '../../support/authorizer-events.js';
import { answers } from '../../support/token-endpoint-fault-server.js';
import { base64url, signHmac } from '../../support/token-minter.js';
import type { AuthorizerKit } from '../support/authorizer-kit.js';
import { FAULT_SECRET, ROUTES, type ExchangeKit } from '../support/exchange-kit.js';

/**
 * One executor per LOG-* case. Each sends its canaries (tokens and secrets no log line may
 * hold) through the paths the case names and returns them; the runner searches the output
 * written during the case for every encoding of every canary.
 */
export interface LogKits {
  readonly authz: AuthorizerKit;
  readonly exchange: ExchangeKit;
  /** Loads functions/authorizer/handler.ts afresh (a new container) with the kits' environment. */
  authorizerHandler(): Promise<(event: unknown) => Promise<unknown>>;
}

export interface LogCase {
  /** Every value that must not appear in any log output written during the case. */
  readonly canaries: readonly string[];
  /** Requests or calls the case made (it must have made some). */
  readonly calls: number;
}

export type LogExecutor = (kits: LogKits) => Promise<LogCase>;

const bearer = (token: string) => `Bearer ${token}`;
const ORDERS = { method: 'GET', path: '/orders/{id}' };
const REPORTS = { method: 'GET', path: '/reports/{proxy+}' };

/** A marker that makes a canary unmistakable in a log search. */
const canary = (what: string) => `canary-${what}-${Math.random().toString(36).slice(2, 10)}`;

async function everyFormat(handler: (event: unknown) => Promise<unknown>, request: { method: string; path: string; authorization?: string | string[]; query?: Record<string, string> }): Promise<number> {
  let calls = 0;
  for (const build of [httpApiEvent, restRequestEvent, restTokenEvent]) {
    calls += 1;
    await handler(build(request)).catch(() => undefined);
  }
  return calls;
}

export const logExecutors: Readonly<Record<string, LogExecutor>> = {
  'LOG-001': async ({ authz, authorizerHandler }) => {
    const handler = await authorizerHandler();
    const k = authz.keys;
    const now = Math.floor(Date.now() / 1000);
    const valid = authz.partner({ jti: canary('jti') });
    const [h, p, s] = valid.split('.') as [string, string, string];
    const es = authz.sign(k.partnerEs);
    const tokens = [
      valid,
      authz.partner({ exp: now - 3600 }),
      authz.partner({ nbf: now + 3600 }),
      authz.partner({ aud: 'https://other.example' }),
      authz.partner({ iss: 'https://evil.example' }),
      authz.partner({ scope: 'profile' }),
      `${h}.${p}.${s.slice(0, 20)}A${s.slice(21)}`,
      `${base64url({ alg: 'none' })}.${p}.`,
      signHmac(Buffer.from(JSON.stringify(k.partnerRs.publicJwk)), { alg: 'HS256', kid: k.partnerRs.kid }, authz.claims()),
      authz.sign(k.attackerRs, { kid: 'unknown-kid', jku: authz.attacker.jwksUri }),
      `${h}=.${p}.${s}`,
      `${es.split('.').slice(0, 2).join('.')}.${Buffer.from('3006020100020100', 'hex').toString('base64url')}`,
      authz.partner({ pad: 'x'.repeat(9000) }),
      [base64url({ alg: 'RSA-OAEP', enc: 'A256GCM' }), 'a', 'b', 'c', 'd'].join('.'),
      canary('opaque-token'),
    ];
    let calls = 0;
    for (const token of tokens) calls += await everyFormat(handler, { ...ORDERS, authorization: bearer(token) });
    calls += await everyFormat(handler, { ...ORDERS, authorization: [bearer(valid), bearer(tokens[1]!)] });
    calls += await everyFormat(handler, { ...ORDERS, authorization: bearer(valid), query: { access_token: valid } });
    calls += await everyFormat(handler, { ...ORDERS, authorization: `Basic ${Buffer.from(`user:${valid}`).toString('base64')}` });
    await handler({ unsupported: true, authorizationToken: bearer(valid) }).catch(() => undefined);
    return { canaries: tokens.filter((t) => t.length >= 16), calls: calls + 1 };
  },
  'LOG-002': async ({ authz, authorizerHandler }) => {
    const token = authz.partner({ jti: canary('jwks') });
    const bodies = [
      { status: 500, body: `upstream said: ${token}` },
      { status: 200, body: `{"keys": "${token}"` },
      { status: 200, body: JSON.stringify({ keys: [{ kty: 'RSA', kid: token.slice(0, 40), n: token, e: 'AQAB' }] }) },
      { status: 302, body: '', headers: { location: `${authz.attacker.jwksUri}?t=${token}` } },
    ];
    let calls = 0;
    for (const jwks of bodies) {
      authz.idps.partner.behaviour = { keys: [], jwks };
      const handler = await authorizerHandler();
      calls += await everyFormat(handler, { ...ORDERS, authorization: bearer(token) });
    }
    authz.reset();
    const handler = await authorizerHandler();
    // aws-jwt-verify's own claim errors (issuer, audience, expiry) for canary tokens.
    const claimFailures = [authz.partner({ exp: 1 }), authz.partner({ aud: token.slice(-30) }), authz.sign(authz.keys.partnerRs, { kid: token.slice(-24) })];
    for (const failing of claimFailures) calls += await everyFormat(handler, { ...ORDERS, authorization: bearer(failing) });
    expect(authz.attackerRequests).toBe(0);
    return { canaries: [token, ...claimFailures], calls };
  },
  'LOG-003': async ({ authz, exchange, authorizerHandler }) => {
    const secret = canary('introspection-secret');
    exchange.secretsManager.put('gatepass/legacy-introspection', { client_id: 'gatepass', client_secret: secret });
    const opaque = canary('opaque-introspected-token');
    const answers: { status?: number; body: unknown; delayMs?: number }[] = [
      { status: 500, body: `error for ${opaque}` },
      { status: 401, body: { error: 'invalid_client', error_description: `bad secret ${secret}` } },
      { body: `not json ${opaque}` },
      { body: { active: false, token: opaque } },
      { body: { active: true, iss: 'https://other.example', token: opaque, scope: 'reports' } },
      { body: { active: 'true', scope: 'reports' } },
    ];
    let calls = 0;
    for (const answer of answers) {
      authz.idps.legacy.behaviour = { keys: [], introspect: () => answer };
      const handler = await authorizerHandler();
      calls += await everyFormat(handler, { ...REPORTS, authorization: bearer(opaque) });
    }
    exchange.secretsManager.fail({ type: 'AccessDeniedException', message: `not authorized to read ${secret}` }, 10, 'gatepass/legacy-introspection');
    const handler = await authorizerHandler();
    calls += await everyFormat(handler, { ...REPORTS, authorization: bearer(opaque) });
    exchange.secretsManager.clearFaults();
    expect(authz.idps.legacy.count('/introspect')).toBeGreaterThan(0);
    return { canaries: [secret, opaque], calls };
  },
  'LOG-004': async ({ exchange }) => {
    const subjects: string[] = [];
    let calls = 0;
    // The real oidc-provider's refusals: untrusted subject (no sub), unknown target, scope beyond the resource.
    for (const claims of [{ sub: undefined }, { scope: 'orders:read', aud: 'https://api.example.com', sub: canary('sub') }]) {
      const token = exchange.partnerToken(claims);
      subjects.push(token);
      await exchange.call(ROUTES.corpOrders, token);
      calls += 1;
    }
    // A token endpoint that quotes the subject token and the client secret in its error_description.
    for (const [error, status] of [['invalid_grant', 400], ['invalid_client', 401], ['temporarily_unavailable', 503], ['server_error', 500]] as const) {
      const token = exchange.partnerToken();
      subjects.push(token);
      const quoted = { kind: 'json' as const, status, body: { error, error_description: `refused ${token} for client secret ${FAULT_SECRET}`, error_uri: `https://as.example/e?t=${encodeURIComponent(token)}` } };
      exchange.fault.queue(quoted, quoted);
      await exchange.call(ROUTES.faultOrders, token);
      calls += 1;
    }
    expect(exchange.corp.tokenRequests.some((r) => r.outcome === 'invalid_grant')).toBe(true);
    return { canaries: [...subjects, FAULT_SECRET], calls };
  },
  'LOG-005': async ({ exchange }) => {
    const token = exchange.partnerToken();
    const leakyMessage = `Secrets Manager could not decrypt ${FAULT_SECRET} for ${token}`;
    let calls = 0;
    for (const type of ['AccessDeniedException', 'DecryptionFailure', 'ThrottlingException', 'InternalServiceError']) {
      exchange.secretsManager.fail({ type, message: leakyMessage, ...(type === 'InternalServiceError' ? { status: 500 } : {}) }, 10, 'gatepass/fault');
      const handler = await exchange.container();
      await exchange.call(ROUTES.faultOrders, token, { handler });
      exchange.secretsManager.clearFaults();
      calls += 1;
    }
    // A secret that is not JSON but holds the secret: the parse error must not quote it.
    exchange.secretsManager.put('gatepass/fault', `client_secret=${FAULT_SECRET}`);
    await exchange.call(ROUTES.faultOrders, token, { handler: await exchange.container() });
    exchange.secretsManager.put('gatepass/fault', { client_id: 'gatepass-fault', client_secret: FAULT_SECRET });
    await exchange.freshDefault();
    return { canaries: [token, FAULT_SECRET], calls: calls + 1 };
  },
  'LOG-006': async ({ exchange }) => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const broken = { ...jwk, d: Buffer.from(canary('private-key-d').padEnd(32, 'x')).toString('base64url'), kid: canary('kid') };
    const wrongCurve = { ...jwk, crv: 'P-384' };
    const token = exchange.partnerToken();
    let calls = 0;
    for (const key of [broken, wrongCurve, { kty: 'RSA', n: jwk.d, e: 'AQAB', d: jwk.d }]) {
      exchange.secretsManager.put('gatepass/fault-jwt', { client_id: 'gatepass-jwt', private_key_jwk: key });
      await exchange.call(ROUTES.faultJwt, token, { handler: await exchange.container() });
      calls += 1;
    }
    // A working key: the client assertion itself must not be logged either.
    exchange.secretsManager.put('gatepass/fault-jwt', { client_id: 'gatepass-jwt', private_key_jwk: jwk });
    exchange.fault.queue(answers.oauthError('invalid_client', 401));
    await exchange.call(ROUTES.faultJwt, token, { handler: await exchange.container() });
    const assertion = exchange.fault.requests.at(-1)?.form.get('client_assertion') ?? '';
    expect(assertion.split('.')).toHaveLength(3);
    await exchange.freshDefault();
    return { canaries: [token, broken.d, jwk.d!, assertion], calls: calls + 1 };
  },
  'LOG-007': async ({ exchange }) => {
    const subject = exchange.partnerToken();
    const mock = mockClient(DynamoDBClient);
    mock.onAnyCommand().rejects(Object.assign(new Error(`One or more parameter values were invalid: ${subject}`), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }));
    try {
      await exchange.call(ROUTES.corpOrders, subject, { handler: await exchange.container() });
    } finally {
      mock.restore();
    }
    // What the table holds for a real exchange: pk, sealed token, metadata; no token in the clear.
    const cached = exchange.partnerToken();
    await exchange.call(ROUTES.corpOrders, cached, { handler: await exchange.container() });
    const issued = exchange.echo.requests.at(-1)!.headers['authorization']![0]!.replace(/^Bearer /, '');
    const { Items } = await exchange.dynamo.client.send(new ScanCommand({ TableName: exchange.dynamo.tableName }));
    const table = JSON.stringify(Items, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value));
    for (const secret of [subject, cached, issued]) {
      expect(table).not.toContain(secret);
      expect(table).not.toContain(secret.split('.')[2]);
    }
    await exchange.freshDefault();
    return { canaries: [subject, cached, issued], calls: 2 };
  },
  'LOG-008': async ({ exchange }) => {
    const handler = await exchange.container();
    const token = exchange.partnerToken();
    await exchange.call(ROUTES.faultOrders, token, { handler });
    const rotated = canary('rotated-client-secret');
    exchange.secretsManager.rotate('gatepass/fault', { client_id: 'gatepass-fault', client_secret: rotated });
    exchange.fault.queue(answers.oauthError('invalid_client', 401), answers.oauthError('invalid_client', 401));
    // Another subject token: the first one's exchange is cached.
    const second = exchange.partnerToken();
    const refused = await exchange.call(ROUTES.faultOrders, second, { handler });
    expect(refused.code).toBe('gateway_misconfigured');
    exchange.secretsManager.rotate('gatepass/fault', { client_id: 'gatepass-fault', client_secret: FAULT_SECRET });
    await exchange.freshDefault();
    return { canaries: [rotated, FAULT_SECRET, token, second], calls: 2 };
  },
};

