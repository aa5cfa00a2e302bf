import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../fakes/loopback-server.js';
import type { GatepassConfig } from '../../functions/shared/config/config-schema.js';
import { AuthorizerResultCache } from './authorizer-result-cache.js';
import { evaluatePolicy } from './execute-api-policy.js';
import { failureAnswer, GatewayFailure, httpApiProxyAnswer, remapRestIntegrationHeaders, restProxyAnswer, type HttpAnswer } from './gateway-answers.js';
import {
  ApiRoutes,
  httpApiAuthorizerEvent,
  httpApiProxyEvent,
  identitySourceValues,
  matchRoute,
  methodArn,
  restAuthorizerEvent,
  restProxyEvent,
  stringifiedContext,
  type ApiFlavour,
  type ApiIdentity,
  type GatewayRequest,
} from './gateway-events.js';
import { isJsonObject } from './json-object.js';
import type { FunctionInvoker, InvokeOutcome } from './lambda-function.js';

/**
 * A local API Gateway for the gatepass routes of one configuration, on 127.0.0.1: the
 * stack's API (infra/constructs/gatepass-http-api.ts or gatepass-rest-api.ts) as a plain
 * HTTP server, with the routes gatewayRoutesOf(config) lists. For each request it selects
 * the route (none: 404). On a route the authorizer guards, it checks the identity source
 * (no Authorization header: 401, the authorizer is not called), asks the authorizer
 * function, or its cached answer (identity sources Authorization + route, TTL as
 * configured), and honours the decision the way the chosen API flavour does. Routes with no
 * authorizer (MCP routes, which the exchange function guards, and their public metadata
 * routes) skip all of that. Then it invokes the exchange function with the proxy event and
 * writes its proxy result back (REST: with `WWW-Authenticate` renamed, as REST APIs do).
 *
 * Serves at the root (as behind a custom domain): no stage prefix in the path.
 */
export interface LocalGatewayOptions {
  readonly config: GatepassConfig;
  /** `http` (HTTP API, payload 2.0; the stack's default) or `rest` (REST API, payload 1.0). */
  readonly flavour: ApiFlavour;
  readonly authorizer: FunctionInvoker;
  readonly exchange: FunctionInvoker;
  /** Authorizer result cache TTL in seconds, 0 = off; default 60, as the stack. */
  readonly authorizerCacheTtlSeconds?: number;
  /** Default 0 (ephemeral). */
  readonly port?: number;
  /** REST only; default REST_BINARY_MEDIA_TYPES, as the stack. */
  readonly binaryMediaTypes?: readonly string[];
  /** One call per request, after the answer is written. */
  readonly onRequest?: (entry: AccessLogEntry) => void;
}

export interface AccessLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly routeId: string | undefined;
  readonly status: number;
  /** `invoked`, `cached` (answered from the authorizer cache), `skipped` (no route, no identity), or `none` (a route with no authorizer). */
  readonly authorizer: 'invoked' | 'cached' | 'skipped' | 'none';
  /** Why the gateway answered itself, when it did. */
  readonly failure: GatewayFailure | undefined;
  readonly latencyMs: number;
}

/** The stack's REST API treats every body as binary (infra/constructs/gatepass-rest-api.ts). */
const REST_BINARY_MEDIA_TYPES: readonly string[] = ['*/*'];

/** The largest request body API Gateway accepts (10 MB). */
const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

const API_ACCOUNT = '123456789012';
const API_REGION = 'us-east-1';

const isPrimitive = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);

/** The authorizer's answer as the gateway keeps it (and caches it). */
type AuthorizerAnswer =
  | { readonly flavour: 'http'; readonly isAuthorized: boolean; readonly context: Readonly<Record<string, unknown>> }
  | { readonly flavour: 'rest'; readonly principalId: string; readonly policyDocument: unknown; readonly context: Readonly<Record<string, unknown>> };

type Verdict =
  | { readonly allow: true; readonly context: Readonly<Record<string, unknown>>; readonly principalId: string }
  | { readonly allow: false; readonly failure: GatewayFailure; readonly authorizer?: Readonly<Record<string, string>> };

export class LocalGateway {
  readonly #options: LocalGatewayOptions;
  readonly #routes: ApiRoutes;
  readonly #cache: AuthorizerResultCache<AuthorizerAnswer>;
  readonly #server: Server;
  readonly #apiId = randomBytes(5).toString('hex');
  #url = '';
  #authorizerInvocations = 0;

  constructor(options: LocalGatewayOptions) {
    this.#options = options;
    this.#routes = new ApiRoutes(options.config);
    this.#cache = new AuthorizerResultCache(options.authorizerCacheTtlSeconds ?? 60);
    this.#server = createServer((req, res) => void this.#serve(req, res));
    this.#server.keepAliveTimeout = 5_000;
  }

  get url(): string {
    return this.#url;
  }

  get #binaryMediaTypes(): readonly string[] {
    return this.#options.binaryMediaTypes ?? REST_BINARY_MEDIA_TYPES;
  }

  get flavour(): ApiFlavour {
    return this.#options.flavour;
  }

  get authorizerCacheTtlSeconds(): number {
    return this.#cache.ttlSeconds;
  }

  /** Authorizer invocations and cache hits so far. */
  get stats(): { authorizerInvocations: number; authorizerCacheHits: number } {
    return { authorizerInvocations: this.#authorizerInvocations, authorizerCacheHits: this.#cache.hits };
  }

  async start(): Promise<string> {
    this.#url = await listenOnLoopback(this.#server, this.#options.port ?? 0);
    return this.#url;
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const flavour = this.#options.flavour;
    const requestId = flavour === 'http' ? randomBytes(10).toString('base64') : randomUUID();
    let note: Pick<AccessLogEntry, 'routeId' | 'authorizer' | 'failure'> = { routeId: undefined, authorizer: 'skipped', failure: undefined };
    let answer: HttpAnswer;
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const rawPath = q === -1 ? target : target.slice(0, q);
    try {
      const body = await readBody(req, MAX_REQUEST_BODY_BYTES);
      if (body === undefined) {
        answer = failureAnswer(flavour, GatewayFailure.PayloadTooLarge);
        note = { ...note, failure: GatewayFailure.PayloadTooLarge };
      } else {
        const request: GatewayRequest = {
          method: (req.method ?? 'GET').toUpperCase(),
          rawPath,
          rawQueryString: q === -1 ? '' : target.slice(q + 1),
          headers: this.#withGatewayHeaders(req),
          body,
          sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
          requestId,
          receivedAt: Date.now(),
        };
        const handled = await this.#handle(request, (fields) => (note = { ...note, ...fields }));
        answer = handled;
      }
    } catch {
      answer = failureAnswer(flavour, GatewayFailure.IntegrationFailure);
      note = { ...note, failure: GatewayFailure.IntegrationFailure };
    }
    this.#write(res, answer, requestId);
    this.#options.onRequest?.({ requestId, method: req.method ?? 'GET', path: rawPath, status: answer.status, latencyMs: performance.now() - started, ...note });
  }

  async #handle(request: GatewayRequest, note: (fields: Partial<AccessLogEntry>) => void): Promise<HttpAnswer> {
    const flavour = this.#options.flavour;
    const fail = (failure: GatewayFailure, authorizer?: Readonly<Record<string, string>>) => {
      note({ failure });
      return failureAnswer(flavour, failure, authorizer);
    };
    const match = matchRoute(this.#routes, request.method, request.rawPath);
    if (!match) return fail(GatewayFailure.NoRoute);
    note({ routeId: match.route.id });
    const api = this.#api(request);
    if (match.apiRoute.guard !== 'authorizer') {
      // No authorizer on the route: no identity source to require, no context to hand over.
      note({ authorizer: 'none' });
      const event = flavour === 'http' ? httpApiProxyEvent(request, match, api, undefined) : restProxyEvent(request, match, api, undefined, this.#binaryMediaTypes);
      return this.#integrate(request, event, fail);
    }
    const identity = identitySourceValues(flavour, request, match);
    if (!identity) return fail(GatewayFailure.IdentityMissing);

    const authorizerStarted = performance.now();
    let answer = this.#cache.get(identity);
    if (answer) {
      note({ authorizer: 'cached' });
    } else {
      note({ authorizer: 'invoked' });
      this.#authorizerInvocations += 1;
      const event = flavour === 'http' ? httpApiAuthorizerEvent(request, match, api) : restAuthorizerEvent(request, match, api);
      const read = readAuthorizerOutcome(flavour, await this.#options.authorizer.invoke(event));
      if ('failure' in read) return fail(read.failure);
      answer = read.answer;
      this.#cache.set(identity, answer);
    }
    const verdict = judge(answer, methodArn(request, api));
    if (!verdict.allow) return fail(verdict.failure, verdict.authorizer);

    const latencyMs = Math.round(performance.now() - authorizerStarted);
    const event =
      flavour === 'http'
        ? httpApiProxyEvent(request, match, api, verdict.context)
        : restProxyEvent(request, match, api, { principalId: verdict.principalId, context: verdict.context, latencyMs }, this.#binaryMediaTypes);
    return this.#integrate(request, event, fail);
  }

  async #integrate(request: GatewayRequest, event: Record<string, unknown>, fail: (failure: GatewayFailure) => HttpAnswer): Promise<HttpAnswer> {
    const outcome = await this.#options.exchange.invoke(event);
    if (!outcome.ok) return fail(GatewayFailure.IntegrationFailure);
    const accept = request.headers.find(([name]) => name.toLowerCase() === 'accept')?.[1];
    if (this.#options.flavour === 'http') return httpApiProxyAnswer(outcome.result) ?? fail(GatewayFailure.IntegrationFailure);
    const answer = restProxyAnswer(outcome.result, accept, this.#binaryMediaTypes);
    return answer ? remapRestIntegrationHeaders(answer) : fail(GatewayFailure.IntegrationFailure);
  }

  #api(request: GatewayRequest): ApiIdentity {
    const host = request.headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? new URL(this.#url).host;
    return {
      accountId: API_ACCOUNT,
      region: API_REGION,
      apiId: this.#apiId,
      stage: this.#options.flavour === 'http' ? '$default' : 'prod',
      domainName: host.replace(/:\d+$/, ''),
    };
  }

  /** The headers API Gateway adds before anything sees the request. */
  #withGatewayHeaders(req: IncomingMessage): [string, string][] {
    const headers: [string, string][] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const has = (name: string) => headers.some(([key]) => key.toLowerCase() === name);
    const name = (lower: string) => (this.#options.flavour === 'http' ? lower : lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()));
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const forwardedFor = headers.find(([key]) => key.toLowerCase() === 'x-forwarded-for');
    if (forwardedFor) forwardedFor[1] = `${forwardedFor[1]}, ${sourceIp}`;
    else headers.push([name('x-forwarded-for'), sourceIp]);
    if (!has('x-forwarded-port')) headers.push([name('x-forwarded-port'), String(req.socket.localPort ?? '')]);
    if (!has('x-forwarded-proto')) headers.push([name('x-forwarded-proto'), 'http']);
    if (!has('x-amzn-trace-id')) {
      headers.push([name('x-amzn-trace-id'), `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`]);
    }
    return headers;
  }

  #write(res: ServerResponse, answer: HttpAnswer, requestId: string): void {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of answer.headers) {
      const existing = headers[name];
      headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    if (this.#options.flavour === 'http') headers['apigw-requestid'] = requestId;
    else {
      headers['x-amzn-requestid'] = requestId;
      headers['x-amz-apigw-id'] = randomBytes(6).toString('base64');
    }
    headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }
}

/** The authorizer function's outcome in API Gateway's terms. */
function readAuthorizerOutcome(flavour: ApiFlavour, outcome: InvokeOutcome): { answer: AuthorizerAnswer } | { failure: GatewayFailure } {
  if (!outcome.ok) {
    // REST: exactly "Unauthorized" is the 401 signal; anything else is a failure (500).
    if (flavour === 'rest' && outcome.error.errorMessage === 'Unauthorized') return { failure: GatewayFailure.Unauthorized };
    return { failure: GatewayFailure.AuthorizerFailure };
  }
  const result = outcome.result;
  if (!isJsonObject(result)) return { failure: GatewayFailure.AuthorizerConfigurationError };
  const context = result['context'] === undefined || result['context'] === null ? {} : result['context'];
  if (!isJsonObject(context)) return { failure: GatewayFailure.AuthorizerConfigurationError };
  if (flavour === 'http') {
    if (typeof result['isAuthorized'] !== 'boolean') return { failure: GatewayFailure.AuthorizerConfigurationError };
    return { answer: { flavour, isAuthorized: result['isAuthorized'], context } };
  }
  // REST context values must be primitives: API Gateway refuses objects and arrays.
  if (typeof result['principalId'] !== 'string' || !isJsonObject(result['policyDocument']) || !Object.values(context).every(isPrimitive)) {
    return { failure: GatewayFailure.AuthorizerConfigurationError };
  }
  return { answer: { flavour, principalId: result['principalId'], policyDocument: result['policyDocument'], context } };
}

function judge(answer: AuthorizerAnswer, arn: string): Verdict {
  if (answer.flavour === 'http') {
    return answer.isAuthorized ? { allow: true, context: answer.context, principalId: '' } : { allow: false, failure: GatewayFailure.AccessDenied };
  }
  const verdict = evaluatePolicy(answer.policyDocument, arn);
  if (verdict === 'invalid') return { allow: false, failure: GatewayFailure.AuthorizerConfigurationError };
  if (verdict !== 'allow') return { allow: false, failure: GatewayFailure.AccessDenied, authorizer: stringifiedContext(answer.context) };
  return { allow: true, context: answer.context, principalId: answer.principalId };
}

/** The whole body, or undefined when it is over `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
