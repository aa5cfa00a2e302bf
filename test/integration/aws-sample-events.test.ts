import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EncodedAuthorizerContext } from '../../functions/shared/contracts/authorizer-context.js';
import type { EchoUpstream } from '../../fakes/echo-upstream.js';
import { JwksServer } from '../../fakes/jwks-server.js';
import { CACHE_KEY_SECRET_ID, startExchangeAws, type ExchangeAws } from '../support/exchange-aws.js';
import { httpApiEvent, restRequestEvent } from '../support/authorizer-events.js';
import { captureOutput, type CapturedOutput } from '../support/captured-output.js';
import { proxyEventV1, proxyEventV2 } from '../support/proxy-events.js';
import { generateTestKey, mintJwt, type TestKey } from '../support/token-minter.js';

/**
 * Issue #16: API Gateway events that AWS itself publishes (test/fixtures/aws-events/README.md
 * names each file's repository, path and commit) run through both real handler modules, on
 * loopback: a JWKS server, dynalite, the Secrets Manager stand-in and the echo upstream. Only
 * the bearer token and the authorizer context of an AWS event are replaced. Where no AWS
 * event shows a case (a trailing slash, an empty greedy segment), our own builders do.
 */

const ISSUER = 'https://idp.partner.example';
const AUDIENCE = 'https://api.example.com';
const CACHE_KEY = 'cache-key-material-canary-'.padEnd(64, 'k');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type ProxyAnswer = { statusCode: number; body?: string };
type Handler = (event: unknown) => Promise<unknown>;

let idp: JwksServer;
let key: TestKey;
let aws: ExchangeAws;
let echo: EchoUpstream;
let output: CapturedOutput;
let authorizer: Handler;
let exchange: (event: unknown) => Promise<ProxyAnswer>;
const savedEnv = { ...process.env };

const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../fixtures/aws-events/${name}`, import.meta.url), 'utf8')) as Json;

function configDocument() {
  const route = (id: string, method: string, path: string, upstream = `${echo.url}/svc`) => ({ id, method, path, upstream, acceptedIssuers: ['partner'], requiredScopes: ['orders:read'] });
  return {
    version: 1,
    insecureLoopbackHttp: true,
    issuers: { partner: { issuer: ISSUER, jwksUri: idp.jwksUri, audiences: [AUDIENCE] } },
    authorizationServers: {},
    routes: [
      // The routes of the AWS events.
      route('lambda-token', 'POST', '/lambda-token'),
      route('lambda-request', 'POST', '/lambda-request'),
      route('lambda', 'POST', '/lambda'),
      route('request', 'GET', '/request'),
      route('no-auth', 'POST', '/no-auth'),
      // No base path: what reaches the upstream is the request-target itself.
      route('root-proxy', 'POST', '/{proxy+}', echo.url),
      // Our own builders' routes.
      route('orders', 'GET', '/orders/{id}'),
      route('files', 'ANY', '/files/{proxy+}'),
    ],
  };
}

const token = (claims: Json = {}) => mintJwt(key, { iss: ISSUER, sub: 'alice', aud: AUDIENCE, client_id: 'partner-app', scope: 'orders:read', ...claims }, { expiresIn: 600 });

/** The authorizer's context for a route, from the real authorizer handler on a builder event. */
async function contextFor(bearer: string, method: string, resource: string): Promise<EncodedAuthorizerContext> {
  const result = (await authorizer(httpApiEvent({ method, path: resource, authorization: `Bearer ${bearer}` }))) as { isAuthorized: boolean; context: EncodedAuthorizerContext };
  expect(result.isAuthorized).toBe(true);
  return result.context;
}

/** A REST proxy event with its token and authorizer context replaced (REST delivers context values as strings). */
function withRestToken(event: Json, bearer: string, context: EncodedAuthorizerContext): Json {
  const copy = structuredClone(event);
  copy['headers'] = { ...copy['headers'], Authorization: `Bearer ${bearer}` };
  if (copy['multiValueHeaders']) copy['multiValueHeaders'] = { ...copy['multiValueHeaders'], Authorization: [`Bearer ${bearer}`] };
  copy['requestContext']['authorizer'] = { principalId: 'alice', ...Object.fromEntries(Object.entries(context).map(([k, v]) => [k, String(v)])) };
  return copy;
}

/** An HTTP API payload 2.0 proxy event with its token and authorizer context replaced. */
function withHttpToken(event: Json, bearer: string, context: EncodedAuthorizerContext): Json {
  const copy = structuredClone(event);
  copy['headers'] = { ...copy['headers'], authorization: `Bearer ${bearer}` };
  copy['requestContext']['authorizer'] = { lambda: { ...context } };
  return copy;
}

const records = (message: string) => output.records().filter((r) => r['message'] === message);
const lastExchangeDecision = () => records('exchange.decision').at(-1);
const lastAuthorizerDecision = () => records('authorizer.decision').at(-1);

beforeAll(async () => {
  idp = await new JwksServer().start();
  key = await generateTestKey('ES256');
  idp.behaviour = { keys: [key.publicJwk] };
  aws = await startExchangeAws({ [CACHE_KEY_SECRET_ID]: CACHE_KEY });
  ({ echo } = aws);
  Object.assign(process.env, aws.env, { GATEPASS_CONFIG: JSON.stringify(configDocument()) });
  output = captureOutput();
  vi.resetModules();
  ({ handler: authorizer } = (await import('../../functions/authorizer/handler.js')) as { handler: Handler });
  ({ handler: exchange } = (await import('../../functions/exchange/handler.js')) as { handler: (event: unknown) => Promise<ProxyAnswer> });
});

afterAll(async () => {
  output.restore();
  process.env = { ...savedEnv };
  await Promise.all([idp.stop(), aws.stop()]);
});

describe('AWS-published events through both handlers (issue #16)', () => {
  it('allows and forwards the Powertools captures of a REST and an HTTP API request', async () => {
    const bearer = await token();
    const restAuth = fixture('powertools.rest.authorizer-request.json');
    restAuth['headers']['Authorization'] = `Bearer ${bearer}`;
    restAuth['multiValueHeaders']['Authorization'] = [`Bearer ${bearer}`];
    expect(await authorizer(restAuth)).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/POST/lambda-request' }] } });

    const httpAuth = fixture('powertools.http.authorizer-request.json');
    httpAuth['headers']['authorization'] = `Bearer ${bearer}`;
    httpAuth['identitySource'] = [`Bearer ${bearer}`];
    const allowed = (await authorizer(httpAuth)) as { isAuthorized: boolean; context: EncodedAuthorizerContext };
    expect(allowed).toMatchObject({ isAuthorized: true, context: { route: 'lambda' } });

    const answer = await exchange(withHttpToken(fixture('powertools.http.lambda-authorizer-auth.json'), bearer, allowed.context));
    expect(answer.statusCode).toBe(200);
    expect(echo.requests.at(-1)!.path).toBe('/svc/lambda');
  });

  it('never allows a forged or missing token in any AWS authorizer event, and never fails with a 500', async () => {
    const valid = await token();
    const forged = `${valid.slice(0, -4)}AAAA`;
    const authorizerEvents = [
      'powertools.rest.authorizer-request.json',
      'powertools.rest.authorizer-token.json',
      'powertools.http.authorizer-request.json',
      'aws-lambda-go.apigw-custom-auth-request.json',
      'aws-lambda-go.apigw-v2-custom-authorizer-v1-request.json',
      'aws-lambda-go.apigw-v2-custom-authorizer-v2-request.json',
    ];
    for (const name of authorizerEvents) {
      for (const authorization of [`Bearer ${forged}`, undefined]) {
        const event = fixture(name);
        if (event['type'] === 'TOKEN') event['authorizationToken'] = authorization ?? '';
        else {
          for (const map of ['headers', 'multiValueHeaders']) {
            if (!event[map]) continue;
            event[map] = Object.fromEntries(Object.entries(event[map] as Json).filter(([key]) => key.toLowerCase() !== 'authorization'));
            if (authorization) event[map]['Authorization'] = map === 'headers' ? authorization : [authorization];
          }
        }
        const outcome: Json = await authorizer(event).then(
          (result) => result as Json,
          (error: Error) => ({ thrown: error.message }),
        );
        // A refusal is `isAuthorized: false`, a Deny, or the REST "Unauthorized" signal (401); nothing else.
        expect([outcome['isAuthorized'], outcome['policyDocument']?.Statement?.[0]?.Effect, outcome['thrown']].some((v) => v === false || v === 'Deny' || v === 'Unauthorized'), `${name}: ${JSON.stringify(outcome)}`).toBe(true);
      }
    }
  });

  // Point 1. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
  // (path variables); that API Gateway routes `/orders/42/` to `/orders/{id}` and reports the
  // slash in `path`/`rawPath` is what issue #16 observed: it could not be confirmed here without an AWS account.
  it('forwards the trailing slash the client sent, within the route (REST and HTTP API)', async () => {
    const bearer = await token();
    const context = await contextFor(bearer, 'GET', '/orders/{id}');
    const input = { method: 'GET', resource: '/orders/{id}', path: '/orders/42/', pathParameters: { id: '42' }, headers: { authorization: `Bearer ${bearer}` }, context };
    expect((await exchange(proxyEventV2(input))).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.path).toBe('/svc/orders/42/');
    expect((await exchange(proxyEventV1(input))).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.path).toBe('/svc/orders/42/');
    // A greedy value that ends with a slash keeps it too.
    const files = await contextFor(bearer, 'ANY', '/files/{proxy+}');
    const greedy = { method: 'GET', routeMethod: 'ANY', resource: '/files/{proxy+}', path: '/files/a/b/', pathParameters: { proxy: 'a/b/' }, headers: { authorization: `Bearer ${bearer}` }, context: files };
    expect((await exchange(proxyEventV2(greedy))).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.path).toBe('/svc/files/a/b/');
  });

  // Point 2. SAM's AwsProxy sample (aws/aws-sam-cli samcli/lib/generated_sample_events/events/apigateway/AwsProxy.json)
  // gives `{proxy+}` a value with a leading slash; on a route at `/`, that made a request-target starting with `//`.
  it('refuses an empty segment inside a greedy value as request_invalid and never sends a request-target starting with //', async () => {
    const bearer = await token();
    const context = await contextFor(bearer, 'POST', '/{proxy+}');
    const sent = echo.requests.length;
    for (const proxy of ['/hello', 'hello//world']) {
      const answer = await exchange(proxyEventV1({ method: 'POST', resource: '/{proxy+}', path: `/${proxy}`, pathParameters: { proxy }, headers: { authorization: `Bearer ${bearer}` }, context }));
      expect(answer.statusCode).toBe(400);
      expect(lastExchangeDecision()).toMatchObject({ outcome: 'request_invalid' });
    }
    expect(echo.requests.length).toBe(sent);
    // aws-lambda-go's REST sample on the same route is forwarded as it came.
    const answer = await exchange(withRestToken(fixture('aws-lambda-go.apigw-request.json'), bearer, context));
    expect(answer.statusCode).toBe(200);
    expect(echo.requests.at(-1)!.path).toBe('/hello/world');
  });

  // Point 3. REST: the Powertools capture's X-Forwarded-For is `client, CloudFront edge` and its
  // sourceIp is the client. HTTP API: the chain ends with sourceIp. `$context.identity.sourceIp` /
  // `$context.http.sourceIp`: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
  it('forwards X-Forwarded-For without repeating the caller, and only IP addresses in it', async () => {
    const bearer = await token();
    const rest = await contextFor(bearer, 'POST', '/lambda-token');
    expect((await exchange(withRestToken(fixture('powertools.rest.lambda-authorizer-auth.json'), bearer, rest))).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.headers['x-forwarded-for']).toEqual(['15.248.3.126, 130.176.209.10']);

    const http = await contextFor(bearer, 'POST', '/lambda');
    expect((await exchange(withHttpToken(fixture('powertools.http.lambda-authorizer-auth.json'), bearer, http))).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.headers['x-forwarded-for']).toEqual(['15.248.3.126']);

    // The console's `test-invoke-source-ip` (powertools.rest.console-test-ui.json) and SAM's
    // `192.168.0.1/32` (sam-cli.HttpApi.json) are not addresses: neither reaches the upstream.
    const orders = await contextFor(bearer, 'GET', '/orders/{id}');
    for (const sourceIp of ['test-invoke-source-ip', '192.168.0.1/32']) {
      const event = proxyEventV2({ method: 'GET', resource: '/orders/{id}', path: '/orders/1', pathParameters: { id: '1' }, headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': `${sourceIp}, 203.0.113.9` }, context: orders }) as Json;
      event['requestContext']['http']['sourceIp'] = sourceIp;
      expect((await exchange(event)).statusCode).toBe(200);
      expect(echo.requests.at(-1)!.headers['x-forwarded-for']).toEqual(['203.0.113.9']);
    }
  });

  // Point 4.
  it('sees a header present only in `headers` in both handlers, also when multiValueHeaders holds others', async () => {
    const bearer = await token();
    const event = fixture('powertools.rest.authorizer-request.json');
    event['headers']['Authorization'] = `Bearer ${bearer}`;
    delete event['multiValueHeaders']['Authorization'];
    const allowed = (await authorizer(event)) as { context: EncodedAuthorizerContext };
    expect(allowed).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow' }] } });

    const proxy = withRestToken(fixture('powertools.rest.lambda-authorizer-auth.json'), bearer, await contextFor(bearer, 'POST', '/lambda-token'));
    delete proxy['multiValueHeaders']['Authorization'];
    expect((await exchange(proxy)).statusCode).toBe(200);
    expect(echo.requests.at(-1)!.headers['authorization']).toEqual([`Bearer ${bearer}`]);
  });

  // Point 5. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
  // ("a $default route that acts as a catch-all"). gatepass refuses it at configuration time
  // (test/unit/shared/config-validator.test.ts); a request on one is refused saying so.
  it('refuses a $default route request in both handlers, naming $default as the reason', async () => {
    const bearer = await token();
    const auth = fixture('aws-lambda-go.apigw-v2-custom-authorizer-v2-request.json');
    auth['headers'] = { ...auth['headers'], authorization: `Bearer ${bearer}` };
    expect(await authorizer(auth)).toEqual({ isAuthorized: false });
    expect(lastAuthorizerDecision()).toMatchObject({ outcome: 'gateway_misconfigured', status: 403, reason: expect.stringContaining('$default route is not supported') });

    // SAM's HTTP API sample, with its {{{placeholders}}} filled as `sam local generate-event` does.
    const filled = readFileSync(new URL('../fixtures/aws-events/sam-cli.HttpApi.json', import.meta.url), 'utf8')
      .replaceAll('{{{path}}}', 'path/to/resource')
      .replaceAll('{{{method}}}', 'POST')
      .replaceAll('{{{stage}}}', '$default')
      .replaceAll('{{{body}}}', 'eyJ0ZXN0IjoiYm9keSJ9')
      .replaceAll('{{{account_id}}}', '123456789012')
      .replaceAll('{{{dns_suffix}}}', 'us-east-1.amazonaws.com');
    const sent = echo.requests.length;
    const answer = await exchange(withHttpToken(JSON.parse(filled) as Json, bearer, await contextFor(bearer, 'POST', '/{proxy+}')));
    expect(answer.statusCode).toBe(500);
    expect(lastExchangeDecision()).toMatchObject({ outcome: 'gateway_misconfigured', reason: expect.stringContaining('$default route, which gatepass does not serve') });
    expect(echo.requests.length).toBe(sent);
  });

  // Point 6. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
  // (payload format 1.0 answers with an IAM policy; simple responses are 2.0 only).
  it('detects an HTTP API payload 1.0 authorizer event as its own format and refuses it with a Deny (403), never the REST 401 signal', async () => {
    const bearer = await token();
    const event = fixture('aws-lambda-go.apigw-v2-custom-authorizer-v1-request.json');
    event['headers']['Authorization'] = `Bearer ${bearer}`;
    expect(await authorizer(event)).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow' }] }, context: { route: 'request' } });
    expect(lastAuthorizerDecision()).toMatchObject({ outcome: 'allow', format: 'http-v1' });

    event['headers']['Authorization'] = `Bearer ${bearer}x`;
    expect(await authorizer(event)).toEqual({
      principalId: 'denied',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event['methodArn'] }] },
      context: { code: 'token_malformed' },
    });
    expect(lastAuthorizerDecision()).toMatchObject({ outcome: 'token_malformed', status: 403, format: 'http-v1' });
  });

  // Point 7. A cached policy applies to every later request with the same identity source:
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
  it('scopes a REST Deny to the called method ARN, never to the whole stage', async () => {
    const bearer = await token();
    const unconfigured = fixture('aws-lambda-go.apigw-custom-auth-request.json');
    unconfigured['authorizationToken'] = `Bearer ${bearer}`;
    expect(await authorizer(unconfigured)).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Deny', Resource: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/' }] } });

    const narrow = fixture('powertools.rest.authorizer-token.json');
    narrow['authorizationToken'] = `Bearer ${await token({ scope: 'profile' })}`;
    expect(await authorizer(narrow)).toMatchObject({
      policyDocument: { Statement: [{ Effect: 'Deny', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/POST/lambda-token' }] },
      context: { code: 'insufficient_scope' },
    });
    const request = restRequestEvent({ method: 'GET', path: '/orders/{id}', authorization: `Bearer ${await token({ scope: 'profile' })}` });
    expect(await authorizer(request)).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Deny', Resource: request.methodArn }] } });
  });

  // Point 8. The Powertools capture of the REST console's Test button: no authorizer ran.
  it("answers the console Test button's event 500 gateway_misconfigured, saying the console skips authorizers", async () => {
    const sent = echo.requests.length;
    const answer = await exchange(fixture('powertools.rest.console-test-ui.json'));
    expect(answer.statusCode).toBe(500);
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ code: 'gateway_misconfigured' });
    expect(lastExchangeDecision()).toMatchObject({ outcome: 'gateway_misconfigured', reason: expect.stringContaining("console's Test button") });
    expect(echo.requests.length).toBe(sent);
  });
});
