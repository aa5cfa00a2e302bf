/**
 * Section 1 (run in a child process by run-bench.ts, one per algorithm): the authorizer's
 * warm path per request, JWKS already loaded, HTTP API payload 2.0 events.
 *
 * - floor: node:crypto `verify` of the same tokens with a prebuilt KeyObject, inputs
 *   already decoded: the cost no validator can go below;
 * - gatepass: the real handler module (functions/authorizer/handler.ts, configured from
 *   GATEPASS_CONFIG as in Lambda) with its real Powertools telemetry, whose log and EMF
 *   lines go to this process's stdout, /dev/null; on first-seen tokens (every call a new
 *   token: full validation) and on one repeated token (the verified-token memo);
 * - gatepass without telemetry output: the same Authorizer with a telemetry that drops
 *   everything, to separate validation from logging;
 * - the minimal anchor (test/bench/anchors/minimal-authorizer.ts): aws-jwt-verify alone, one
 *   issuer, no configuration, no logging, on the same first-seen tokens;
 * - the peer (test/bench/peer): jsonwebtoken + jwks-rsa, on the same first-seen tokens.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { Authorizer } from '../../functions/authorizer/authorizer.js';
import { silentLog, silentMetrics } from '../../functions/shared/telemetry/telemetry-sinks.js';
import { parseConfig } from '../../functions/shared/config/config-validator.js';
import { httpApiEvent } from '../support/authorizer-events.js';
import { JwksServer } from '../../fakes/jwks-server.js';
import { generateTestKey } from '../support/token-minter.js';
import { childMain } from './bench-child.js';
import { API_AUDIENCE, benchConfig, lambdaEnv, mintPartnerTokens, PARTNER_ISSUER, REQUIRED_SCOPE, ROUTE, type BenchAlg } from './bench-fixtures.js';
import { callsNeeded, interleaved, type BatchPlan, type PerCall } from './bench-stats.js';

export interface WarmPathInput {
  readonly alg: BenchAlg;
  readonly plan: BatchPlan;
}

export interface WarmPathResult {
  readonly alg: BenchAlg;
  readonly tokenBytes: number;
  readonly floor: PerCall;
  readonly gatepassFirstSeen: PerCall;
  readonly gatepassRepeated: PerCall;
  readonly gatepassFirstSeenNoTelemetry: PerCall;
  readonly gatepassRepeatedNoTelemetry: PerCall;
  /** The minimal aws-jwt-verify authorizer (test/bench/anchors/minimal-authorizer.ts) on the same first-seen tokens. */
  readonly minimalFirstSeen: PerCall;
  /** null: the peer's library cannot verify this algorithm (jsonwebtoken has no EdDSA). */
  readonly peerFirstSeen: PerCall | null;
}

type Handler = (event: unknown) => Promise<{ isAuthorized?: boolean }>;


/** Floor inputs: the signing input and signature bytes, decoded before timing. */
function floorOf(alg: BenchAlg, jwk: JWK, tokens: readonly string[]): (i: number) => boolean {
  const key: KeyObject = createPublicKey({ key: jwk as never, format: 'jwk' });
  const digest = alg === 'EdDSA' ? null : 'sha256';
  const parts = tokens.map((token) => {
    const dot = token.lastIndexOf('.');
    return { input: Buffer.from(token.slice(0, dot)), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
  });
  const keyInput = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return (i) => {
    const part = parts[i % parts.length]!;
    return verify(digest, part.input, keyInput, part.signature);
  };
}

function allowed(result: { isAuthorized?: boolean }): void {
  if (result.isAuthorized !== true) throw new Error('the bench expected an allow: the measurement would be meaningless');
}

async function run(input: WarmPathInput): Promise<WarmPathResult> {
  const { alg, plan } = input;
  const idp = await new JwksServer().start();
  const key = await generateTestKey(alg, { kid: `bench-${alg.toLowerCase()}` });
  idp.behaviour = { keys: [key.publicJwk] };
  const tokens = mintPartnerTokens(key, callsNeeded(plan));
  const events = tokens.map((token) => httpApiEvent({ method: ROUTE.method, path: ROUTE.path, authorization: `Bearer ${token}` }));
  const document = benchConfig({ partnerJwksUri: idp.jwksUri }, [alg]);

  Object.assign(process.env, lambdaEnv('gatepass-authorizer'), { GATEPASS_CONFIG: JSON.stringify(document) });
  const { handler } = (await import('../../functions/authorizer/handler.js')) as unknown as { handler: Handler };
  const quiet = new Authorizer(parseConfig(document), { log: silentLog, metrics: silentMetrics, readSecret: () => Promise.reject(new Error('unused')) });

  process.env['PEER_JWKS_URI'] = idp.jwksUri;
  process.env['PEER_ISSUER'] = PARTNER_ISSUER;
  process.env['PEER_AUDIENCE'] = API_AUDIENCE;
  process.env['PEER_ALGORITHMS'] = alg;
  process.env['PEER_REQUIRED_SCOPE'] = REQUIRED_SCOPE;
  process.env['ANCHOR_ISSUER'] = PARTNER_ISSUER;
  process.env['ANCHOR_JWKS_URI'] = idp.jwksUri;
  process.env['ANCHOR_AUDIENCE'] = API_AUDIENCE;
  process.env['ANCHOR_SCOPE'] = REQUIRED_SCOPE;
  const minimal = ((await import('./anchors/minimal-authorizer.js')) as { handler: Handler }).handler;
  const peer = alg === 'EdDSA' ? undefined : ((await import('./peer/peer-authorizer.js')) as { handler: Handler }).handler;

  // JWKS loaded and code paths warm before anything is timed.
  const spare = mintPartnerTokens(key, 3, {}, tokens.length);
  for (const token of spare) {
    const event = httpApiEvent({ method: ROUTE.method, path: ROUTE.path, authorization: `Bearer ${token}` });
    allowed(await handler(event));
    allowed((await quiet.handle(event)) as { isAuthorized?: boolean });
    allowed(await minimal(event));
    if (peer) allowed(await peer(event));
  }

  const floorCall = floorOf(alg, key.publicJwk, tokens);
  const variants: Record<string, (i: number) => unknown> = {
    floor: (i: number) => {
      if (!floorCall(i)) throw new Error('floor verify failed');
    },
    gatepassFirstSeen: async (i: number) => allowed(await handler(events[i]!)),
    gatepassRepeated: async () => allowed(await handler(events[0]!)),
    gatepassFirstSeenNoTelemetry: async (i: number) => allowed((await quiet.handle(events[i]!)) as { isAuthorized?: boolean }),
    gatepassRepeatedNoTelemetry: async () => allowed((await quiet.handle(events[0]!)) as { isAuthorized?: boolean }),
    minimalFirstSeen: async (i: number) => allowed(await minimal(events[i]!)),
    ...(peer ? { peerFirstSeen: async (i: number) => allowed(await peer(events[i]!)) } : {}),
  };
  const measured: Partial<Record<string, PerCall>> = await interleaved(plan, variants);

  await idp.stop();
  return {
    alg,
    tokenBytes: tokens[0]!.length,
    floor: measured.floor!,
    gatepassFirstSeen: measured.gatepassFirstSeen!,
    gatepassRepeated: measured.gatepassRepeated!,
    gatepassFirstSeenNoTelemetry: measured.gatepassFirstSeenNoTelemetry!,
    gatepassRepeatedNoTelemetry: measured.gatepassRepeatedNoTelemetry!,
    minimalFirstSeen: measured.minimalFirstSeen!,
    peerFirstSeen: measured.peerFirstSeen ?? null,
  };
}

childMain(run);
