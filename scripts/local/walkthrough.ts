import { STATUS_CODES } from 'node:http';
import { tokenIdOf } from '../../functions/shared/token-id.js';
import type { EchoedRequest } from '../../fakes/echo-upstream.js';
import { metadataPathOf } from '../../functions/shared/mcp/protected-resource.js';
import { DEMO, DEMO_MCP_PATH } from './demo-config.js';
import { describeExchanges, McpClientError, runMcpClient, type McpClientOutcome, type McpHttpExchange } from './demo-mcp-client.js';
import { parseTokenArgs } from './demo-tokens.js';
import type { ApiFlavour } from './gateway-events.js';
import type { LocalStack } from './local-stack.js';

/**
 * The walkthrough `npm start` prints: each step is a few shell commands a user pastes in
 * a second terminal (mint a demo token with `npm run token`, call the gateway with curl)
 * and the answer they get. `npm start` runs every step once itself before printing, so
 * the statuses and upstream claims shown are observed, not promised; the end-to-end
 * tests run the printed commands again through bash and curl. The MCP client step runs
 * `npm run mcp-client` (the official SDK client) instead of curl.
 */
export type WalkthroughStep = HttpStep | McpClientStep;

export interface HttpStep {
  readonly kind?: 'http';
  readonly id: string;
  readonly title: string;
  /** Shell variable → `npm run token` arguments. */
  readonly tokens: readonly { readonly variable: string; readonly args: readonly string[] }[];
  /** Control endpoint calls before and after the request (e.g. `/faults/token-endpoint/down`). */
  readonly controlBefore?: readonly string[];
  readonly controlAfter?: readonly string[];
  readonly request: {
    readonly method: string;
    readonly path: string;
    /** Values may use `$TOKEN`-style variables. */
    readonly headers: readonly (readonly [string, string])[];
    readonly body?: string;
  };
  readonly expectedStatus: number;
  /** What to look at in the answer. */
  readonly note: string;
}

/** `npm run mcp-client -- <gateway><path>`: the SDK client discovers, authorizes, lists the tools and calls one. */
export interface McpClientStep {
  readonly kind: 'mcp-client';
  readonly id: string;
  readonly title: string;
  readonly path: string;
  /** The status of the client's last request through the gateway (its tools/call). */
  readonly expectedStatus: number;
  readonly note: string;
}

const bearer = (variable = 'TOKEN') => ['Authorization', `Bearer $${variable}`] as const;

export function walkthroughSteps(flavour: ApiFlavour): WalkthroughStep[] {
  return [
    {
      id: 'cross-issuer-exchange',
      title: 'Cross-issuer exchange: a partner token goes in, the upstream gets a corporate one',
      tokens: [{ variable: 'TOKEN', args: ['--scope', 'orders:read'] }],
      request: { method: 'GET', path: '/orders/42', headers: [bearer()] },
      expectedStatus: 200,
      note: 'iss is the corporate AS, aud the orders service, scope exactly orders:read',
    },
    {
      id: 'same-issuer-downscoping',
      title: 'Same-issuer downscoping: a corporate admin token is narrowed to what the route needs',
      tokens: [{ variable: 'TOKEN', args: ['--issuer', 'corp', '--scope', 'orders:read orders:admin'] }],
      request: { method: 'GET', path: '/orders/42', headers: [bearer()] },
      expectedStatus: 200,
      note: 'the upstream token has scope orders:read only (orders:admin matched sameIssuerWhen)',
    },
    {
      id: 'passthrough',
      title: 'Passthrough: a corporate token without orders:admin goes upstream unchanged',
      tokens: [{ variable: 'TOKEN', args: ['--issuer', 'corp', '--scope', 'orders:read'] }],
      request: { method: 'GET', path: '/orders/42', headers: [bearer()] },
      expectedStatus: 200,
      note: "the upstream's tokenId is the caller's token's: no exchange",
    },
    {
      id: 'delegation',
      title: 'Delegation: the gateway acts for the caller (actor: gateway)',
      tokens: [{ variable: 'TOKEN', args: ['--scope', 'orders:read'] }],
      request: { method: 'GET', path: '/delegated/orders/42', headers: [bearer()] },
      expectedStatus: 200,
      note: `the upstream token carries act: {sub: "${DEMO.gatewayClientId}", iss: <corporate AS>}`,
    },
    {
      id: 'opaque-token',
      title: 'Opaque token: the legacy SSO introspects it (RFC 7662), then it passes through',
      tokens: [{ variable: 'TOKEN', args: ['--issuer', 'legacy', '--scope', 'reports'] }],
      request: { method: 'POST', path: '/reports/2026/q3', headers: [bearer(), ['Content-Type', 'text/plain']], body: 'summary please' },
      expectedStatus: 200,
      note: 'the route accepts only the legacy issuer; its token is opaque',
    },
    {
      id: 'entra-on-behalf-of',
      title: "Entra-style On-Behalf-Of (RFC 7523 jwt-bearer): a user's token for gatepass goes in, the orders API gets its own",
      tokens: [{ variable: 'TOKEN', args: ['--issuer', 'entra', '--scope', DEMO.entra.callerScope] }],
      request: { method: 'GET', path: '/entra/orders/42', headers: [bearer()] },
      expectedStatus: 200,
      note: `asked for ${DEMO.entra.ordersAppIdUri}/Orders.Read with requested_token_use=on_behalf_of; the token has aud = the orders API's client id, the short scp Orders.Read and the same user (oid)`,
    },
    {
      id: 'entra-consent-required',
      title: 'Entra-style refusal: a permission no admin consented to (AADSTS65001, suberror consent_required)',
      tokens: [{ variable: 'TOKEN', args: ['--issuer', 'entra', '--scope', DEMO.entra.callerScope] }],
      request: { method: 'GET', path: '/entra/orders/42/audit', headers: [bearer()] },
      expectedStatus: 403,
      note: 'exchange_denied; the exchange log line names the AADSTS error and its trace id',
    },
    {
      id: 'missing-scope',
      title: 'Missing scope: POST /orders requires orders:write',
      tokens: [{ variable: 'TOKEN', args: ['--scope', 'orders:read'] }],
      request: { method: 'POST', path: '/orders', headers: [bearer(), ['Content-Type', 'application/json']], body: '{"item":"book"}' },
      expectedStatus: 403,
      note: 'the token is valid but lacks orders:write: insufficient_scope in the authorizer log',
    },
    {
      id: 'expired-token',
      title: 'Expired token',
      tokens: [{ variable: 'TOKEN', args: ['--scope', 'orders:read', '--expired'] }],
      request: { method: 'GET', path: '/orders/42', headers: [bearer()] },
      expectedStatus: flavour === 'rest' ? 401 : 403,
      note:
        flavour === 'rest'
          ? 'token_expired: a REST authorizer says 401 by throwing "Unauthorized"'
          : 'token_expired: an HTTP API simple-response authorizer can only refuse with 403 (isAuthorized: false); `npm start -- --rest` shows 401',
    },
    {
      id: 'no-token',
      title: 'No token: API Gateway refuses before calling the authorizer',
      tokens: [],
      request: { method: 'GET', path: '/orders/42', headers: [] },
      expectedStatus: 401,
      note: 'the identity source (Authorization) is missing; the authorizer is not invoked',
    },
    {
      id: 'token-endpoint-down',
      title: 'The corporate token endpoint goes down (and comes back)',
      tokens: [{ variable: 'TOKEN', args: ['--scope', 'orders:read'] }],
      controlBefore: ['/faults/token-endpoint/down'],
      controlAfter: ['/faults/token-endpoint/up'],
      request: { method: 'GET', path: '/orders/42', headers: [bearer()] },
      expectedStatus: 503,
      note: 'exchange_unavailable with Retry-After (a fresh token: nothing cached to fall back on)',
    },
    {
      id: 'mcp-challenge',
      title: 'MCP route without a token: 401 with the challenge an MCP client starts from',
      tokens: [],
      request: { method: 'GET', path: DEMO_MCP_PATH, headers: [] },
      expectedStatus: 401,
      note:
        flavour === 'rest'
          ? 'a REST API renames the challenge to x-amzn-Remapped-WWW-Authenticate: MCP clients then probe the well-known metadata URL (next step)'
          : 'WWW-Authenticate: Bearer resource_metadata="<the next step\'s URL>"; the exchange function answers it, no authorizer runs on MCP routes',
    },
    {
      id: 'mcp-metadata',
      title: 'MCP protected resource metadata (RFC 9728), public',
      tokens: [],
      request: { method: 'GET', path: metadataPathOf({ path: DEMO_MCP_PATH }), headers: [] },
      expectedStatus: 200,
      note: 'resource: the URI tokens must name in aud; authorization_servers: the corporate AS',
    },
    {
      kind: 'mcp-client',
      id: 'mcp-client',
      title: 'An MCP client (the official SDK) lists and calls tools through gatepass',
      path: DEMO_MCP_PATH,
      expectedStatus: 200,
      note: "the client's token (aud: gatepass's /mcp) was exchanged: the MCP server got one for itself",
    },
  ];
}

/** A word is quoted only when the shell needs it (double quotes, so `$TOKEN` still expands). */
function shellWord(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  if (/^[^"\\`]*$/.test(word)) return `"${word}"`;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The shell commands of a step, against a running stack's URLs. */
export function stepCommands(step: WalkthroughStep, urls: { readonly gateway: string; readonly control: string }): string[] {
  if (step.kind === 'mcp-client') return [`npm run -s mcp-client -- ${urls.gateway}${step.path}`];
  const lines: string[] = [];
  for (const path of step.controlBefore ?? []) lines.push(`curl -s -X POST ${urls.control}${path}; echo`);
  for (const token of step.tokens) lines.push(`${token.variable}=$(npm run -s token -- ${token.args.map(shellWord).join(' ')})`);
  const parts = ['curl', '-si'];
  if (step.request.method !== 'GET') parts.push('-X', step.request.method);
  for (const [name, value] of step.request.headers) parts.push('-H', `"${name}: ${value}"`);
  if (step.request.body !== undefined) parts.push('--data-binary', shellWord(step.request.body));
  parts.push(`${urls.gateway}${step.request.path}`);
  lines.push(parts.join(' '));
  for (const path of step.controlAfter ?? []) lines.push(`curl -s -X POST ${urls.control}${path}; echo`);
  return lines;
}

export interface StepResult {
  readonly step: WalkthroughStep;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** What the upstream received, when the request reached it. */
  readonly upstream: EchoedRequest | undefined;
  /** The tokens the step minted, by variable. */
  readonly tokens: Readonly<Record<string, string>>;
  /** The MCP client step: what the client did, and the bearer tokens the MCP server received meanwhile. */
  readonly mcp?: {
    /** What the client did; undefined when it failed (then `error` says why). */
    readonly outcome: McpClientOutcome | undefined;
    readonly exchanges: readonly McpHttpExchange[];
    readonly error?: string;
    readonly upstreamTokens: readonly (string | undefined)[];
  };
}

async function runMcpClientStep(step: McpClientStep, stack: LocalStack): Promise<StepResult> {
  const before = stack.mcp.requests.length;
  let mcp: Omit<NonNullable<StepResult['mcp']>, 'upstreamTokens'>;
  try {
    const outcome = await runMcpClient({ url: `${stack.urls.gateway}${step.path}`, ...stack.mcpClient });
    mcp = { outcome, exchanges: outcome.exchanges };
  } catch (error) {
    // A failing client is a step that did not answer as expected, not a walkthrough that cannot run.
    if (!(error instanceof McpClientError)) throw error;
    mcp = { outcome: undefined, exchanges: error.exchanges, error: error.message };
  }
  const upstreamTokens = stack.mcp.requests.slice(before).map((r) => r.bearerToken);
  // The status of its tools/call through the gateway; failed before that, of its last request.
  const call = [...mcp.exchanges].reverse().find((e) => e.rpcMethods?.includes('tools/call')) ?? mcp.exchanges.at(-1);
  return { step, status: call?.status ?? 0, headers: new Headers(), body: '', upstream: undefined, tokens: {}, mcp: { ...mcp, upstreamTokens } };
}

/** Runs a step in-process: the same tokens and request as its commands, through the gateway over HTTP. */
export async function runStep(step: WalkthroughStep, stack: LocalStack): Promise<StepResult> {
  if (step.kind === 'mcp-client') return runMcpClientStep(step, stack);
  const tokens: Record<string, string> = {};
  for (const token of step.tokens) tokens[token.variable] = (await stack.tokens.issue(parseTokenArgs(token.args))).token;
  const expand = (value: string) => value.replace(/\$([A-Z_]+)/g, (whole, name: string) => tokens[name] ?? whole);
  const control = async (paths: readonly string[] | undefined) => {
    for (const path of paths ?? []) await (await fetch(`${stack.urls.control}${path}`, { method: 'POST' })).arrayBuffer();
  };
  await control(step.controlBefore);
  try {
    const before = stack.echo.requests.length;
    const response = await fetch(`${stack.urls.gateway}${step.request.path}`, {
      method: step.request.method,
      headers: step.request.headers.map(([name, value]) => [name, expand(value)] as [string, string]),
      ...(step.request.body !== undefined ? { body: step.request.body } : {}),
    });
    const body = await response.text();
    return { step, status: response.status, headers: response.headers, body, upstream: stack.echo.requests.slice(before).at(-1), tokens };
  } finally {
    await control(step.controlAfter);
  }
}

function issuerName(iss: unknown, stack: Pick<LocalStack, 'urls'>): string {
  if (iss === stack.urls.corp) return 'corporate AS';
  if (iss === stack.urls.partner) return 'partner IdP';
  if (iss === stack.urls.entra) return 'Entra tenant';
  return String(iss);
}

/** What the MCP client step printed: each HTTP exchange, the tools, and whose token the MCP server got. */
function describeMcpResult(result: StepResult, stack: Pick<LocalStack, 'urls'>): string {
  const mcp = result.mcp!;
  const step = result.step as McpClientStep;
  const lines = describeExchanges(mcp, `${stack.urls.gateway}${step.path}`).map((line) => `       ${line}`);
  const status = `${result.status} ${STATUS_CODES[result.status] ?? ''}`.trim();
  if (!mcp.outcome) return [`${status}  the MCP client failed: ${mcp.error ?? 'unknown error'}`, ...lines].join('\n');
  const callerToken = mcp.outcome.callerToken;
  const passedThrough = callerToken !== undefined && mcp.upstreamTokens.includes(callerToken);
  let claims: Record<string, unknown> = {};
  try {
    claims = JSON.parse(mcp.outcome.toolText) as Record<string, unknown>;
  } catch {
    // not whoami's JSON: shown as it is below
  }
  const who = passedThrough
    ? "the MCP server got the client's own token"
    : `the MCP server got a ${issuerName(claims['iss'], stack)} token: sub=${String(claims['sub'])} aud=${String(claims['aud'])} scope="${String(claims['scope'])}"`;
  return [`${status}  tools listed: ${mcp.outcome.tools.join(', ')}; ${mcp.outcome.tool}: ${who}`, ...lines].join('\n');
}

/** One line on what came back: the upstream's token, or the gateway's answer. */
function describeResult(result: StepResult, stack: Pick<LocalStack, 'urls'>): string {
  if (result.mcp) return describeMcpResult(result, stack);
  const status = `${result.status} ${STATUS_CODES[result.status] ?? ''}`.trim();
  const upstream = result.upstream;
  if (!upstream) {
    const retryAfter = result.headers.get('retry-after');
    // An MCP challenge is the point of its step: shown under whichever name the API type leaves it.
    const challenge = ['www-authenticate', 'x-amzn-remapped-www-authenticate'].find((name) => result.headers.get(name)?.includes('resource_metadata'));
    const challengeText = challenge ? `, ${challenge}: ${result.headers.get(challenge)}` : '';
    const body = result.body.trim().replace(/\s+/g, ' ');
    return `${status}${retryAfter ? `, Retry-After: ${retryAfter}` : ''}${challengeText}  ${body.length > 300 ? `${body.slice(0, 297)}...` : body}  (upstream not called)`;
  }
  const bearerToken = /^Bearer\s+(\S+)$/i.exec(upstream.headers['authorization']?.[0] ?? '')?.[1];
  const callerToken = Object.values(result.tokens)[0];
  if (bearerToken && callerToken && bearerToken === callerToken) {
    const claims = upstream.claims;
    const scope = claims ? ` scope="${String(claims['scope'])}"` : '';
    return `${status}  upstream got the caller's own token (tokenId ${tokenIdOf(bearerToken)})${scope}`;
  }
  const claims = upstream.claims ?? {};
  // Entra tokens carry their scopes in a short `scp` and the app that asked in `azp`.
  const scope = claims['scope'] === undefined && claims['scp'] !== undefined ? `scp="${String(claims['scp'])}"` : `scope="${String(claims['scope'])}"`;
  const parts = [`sub=${String(claims['sub'])}`, `aud=${String(claims['aud'])}`, scope];
  if (claims['oid'] !== undefined) parts.push(`oid=${String(claims['oid'])}`, `azp=${String(claims['azp'])}`);
  const act = claims['act'] as Record<string, unknown> | undefined;
  if (act) parts.push(`act={sub: ${String(act['sub'])}, iss: ${issuerName(act['iss'], stack)}}`);
  const issuer = issuerName(claims['iss'], stack);
  return `${status}  upstream got ${/^[AEIOU]/.test(issuer) ? 'an' : 'a'} ${issuer} token: ${parts.join(' ')}`;
}

export interface WalkthroughText {
  readonly text: string;
  /** Steps whose observed status differed from the expected one. */
  readonly mismatches: readonly StepResult[];
}

export function renderWalkthrough(stack: Pick<LocalStack, 'urls'>, results: readonly StepResult[]): WalkthroughText {
  const lines: string[] = [];
  const mismatches: StepResult[] = [];
  results.forEach((result, index) => {
    const { step } = result;
    lines.push(`${index + 1}. ${step.title}`);
    for (const command of stepCommands(step, stack.urls)) lines.push(`   ${command}`);
    lines.push(`   → ${describeResult(result, stack)}`);
    lines.push(`     ${step.note}`);
    if (result.status !== step.expectedStatus) {
      mismatches.push(result);
      lines.push(`   !! expected ${step.expectedStatus}: the functions' log lines say why`);
    }
    lines.push('');
  });
  return { text: lines.join('\n'), mismatches };
}
