import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenType } from '../../../functions/shared/config/config-schema.js';
import { GatepassError } from '../../../functions/shared/errors.js';
import { ActorResolver } from '../../../functions/exchange/policy/actor-resolver.js';
import type { ExchangeRequest } from '../../../functions/exchange/exchange-model.js';
import { TokenExchangeClient } from '../../../functions/exchange/token-endpoint/token-endpoint-client.js';
import { answers, startFaultServer, validTokenAnswer, type FaultAnswer, type FaultServer } from '../../support/token-endpoint-fault-server.js';
import { MemoryClientSecrets, ShiftableClock, tokenClientConfig } from '../../support/token-client-fixtures.js';
import { RecordingSinks } from '../../support/recording-sinks.js';

/**
 * Canary values travel through every failure path of the token client; none may show up
 * in an error (message, stack, cause chain, inspection, JSON) or in anything logged or
 * counted, raw or encoded. The fault server echoes them back to make leaks likely.
 */
const canary = (label: string) => `${label}${randomBytes(12).toString('hex')}`;
const SUBJECT = canary('CanarySubject');
const ACTOR = canary('CanaryActor');
const SECRET = canary('CanarySecret');
const ISSUED = canary('CanaryIssued');
const SECRET_ID = 'gatepass/canary';

let fault: FaultServer;
let jwk: JWK;

beforeAll(async () => {
  fault = await startFaultServer();
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  jwk = await exportJWK(privateKey);
});
afterAll(() => fault.stop());

function forms(value: string): string[] {
  return [
    value,
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    // A cut copy still leaks: the middle of the value is enough to find it.
    value.slice(6, 30),
  ];
}

function everythingAbout(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 10 })];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth += 1) {
    if (current instanceof Error) parts.push(current.name, current.message, current.stack ?? '', JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

const echo = `${SUBJECT} ${ACTOR} ${SECRET} ${ISSUED}`;
const paths: [string, FaultAnswer[]][] = [
  ['invalid_grant echoing the tokens', [answers.json({ error: 'invalid_grant', error_description: echo }, 400)]],
  ['a vendor error code', [answers.json({ error: 'weird_error', error_description: echo }, 400)]],
  ['invalid_client twice', [answers.json({ error: 'invalid_client', error_description: echo }, 401), answers.json({ error: 'invalid_client' }, 401)]],
  ['5xx with an echoing body', [answers.raw(echo, 500), answers.raw(echo, 503), answers.raw(echo, 502)]],
  ['malformed JSON holding the issued token', [answers.raw(`{"access_token":"${ISSUED}","echo":"${echo}`, 200, { 'content-type': 'application/json' })]],
  ['an HTML 200', [answers.raw(`<html>${echo}</html>`, 200, { 'content-type': 'text/html' })]],
  ['a wrong issued_token_type', [answers.json(validTokenAnswer({ access_token: ISSUED, issued_token_type: TokenType.IdToken }))]],
  ['a bad expires_in', [answers.json(validTokenAnswer({ access_token: ISSUED, expires_in: echo }))]],
  ['a DPoP token_type', [answers.json(validTokenAnswer({ access_token: ISSUED, token_type: 'DPoP' }))]],
  ['a broader scope', [answers.json(validTokenAnswer({ access_token: ISSUED, scope: 'read admin' }))]],
  ['a redirect to a URL holding the tokens', [answers.redirect(`http://127.0.0.1:9/steal?t=${SUBJECT}&s=${SECRET}`)]],
  ['an oversized body', [answers.oversized(100_000, false)]],
  ['reset connections', [answers.reset(), answers.reset(), answers.reset()]],
  ['a 404 echo', [answers.raw(echo, 404)]],
  ['a 429 far beyond the deadline', [answers.status(429, { 'retry-after': '3000' })]],
];

describe('no token or secret in any error or telemetry', () => {
  it.each(['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const)('holds for every failure path with %s', async (clientAuth) => {
    const config = tokenClientConfig(
      { corp: { issuer: fault.origin, tokenEndpoint: fault.tokenEndpoint, clientAuth, clientSecretId: SECRET_ID } },
      { maxAttempts: 3, requestTimeoutMs: 300, deadlineMs: 1000, maxResponseBytes: 4096, circuitBreaker: { failureThreshold: 100, openSeconds: 5 } },
    );
    const telemetry = new RecordingSinks();
    const secret = clientAuth === 'private_key_jwt' ? { client_id: 'gw', private_key_jwk: jwk } : { client_id: 'gw', client_secret: SECRET };
    const client = new TokenExchangeClient({
      config,
      secrets: new MemoryClientSecrets({ [SECRET_ID]: secret }),
      clock: new ShiftableClock(true),
      random: () => 0,
      log: telemetry.log,
      metrics: telemetry.metrics,
    });
    const request: ExchangeRequest = {
      authorizationServer: 'corp',
      subjectToken: SUBJECT,
      subjectTokenType: TokenType.AccessToken,
      audience: ['orders'],
      resource: [],
      scope: ['read'],
      requestedTokenType: TokenType.AccessToken,
      actor: { token: ACTOR, tokenType: TokenType.AccessToken },
    };

    const seen: string[] = [];
    for (const [name, script] of paths) {
      fault.reset();
      fault.queue(...script);
      const error = await client.exchange(request).then(
        () => new Error(`path ${name} unexpectedly succeeded`),
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(GatepassError);
      seen.push(`${name}:\n${everythingAbout(error)}`);
    }

    const resolver = new ActorResolver({ config, gatewayTokens: client });
    for (const headers of [{ 'x-actor': `${ACTOR}, ${ACTOR}` }, { 'x-actor': `Bearer ${ACTOR} x` }, { 'x-actor': [ACTOR, ACTOR] }]) {
      const error = await resolver.resolve({ actor: { source: 'header', header: 'X-Actor', enforceMayAct: true }, authorizationServer: 'corp', headers, subjectClaims: {} }).then(
        () => new Error('actor header unexpectedly accepted'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GatepassError);
      seen.push(everythingAbout(error));
    }

    const haystack = `${seen.join('\n')}\n${telemetry.dump()}`;
    const secrets = [SUBJECT, ACTOR, ISSUED, clientAuth === 'private_key_jwt' ? String(jwk.d) : SECRET];
    for (const value of secrets) {
      for (const form of forms(value)) expect(haystack.includes(form), `a form of a canary value leaked with ${clientAuth}`).toBe(false);
    }
    expect(haystack.includes(Buffer.from(`gw:${SECRET}`).toString('base64'))).toBe(false);
    // The paths really ran: the server saw the canaries (so the absence above means something).
    fault.reset();
    await client.exchange({ ...request, scope: [] });
    expect(fault.requests[0]!.form.get('subject_token')).toBe(SUBJECT);
  });
});
