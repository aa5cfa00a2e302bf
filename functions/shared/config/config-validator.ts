import * as v from 'valibot';
import { ClientAuth, GatepassConfigSchema, Grant, type GatepassConfig } from './config-schema.js';
import { basePathOf, metadataPathOf } from '../mcp/protected-resource.js';

/** One problem in a configuration document, located by its field path. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source = 'configuration') {
    super(`invalid gatepass ${source}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** `routes[2].exchange.authorizationServer` from a valibot issue path. */
function formatPath(path: readonly { key: unknown }[] | undefined): string {
  if (!path || path.length === 0) return '(root)';
  let out = '';
  for (const { key } of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function schemaIssues(issues: readonly v.BaseIssue<unknown>[]): ConfigIssue[] {
  return issues.map((issue) => ({
    path: formatPath(issue.path as { key: unknown }[] | undefined),
    message: issueMessage(issue),
  }));
}

function issueMessage(issue: v.BaseIssue<unknown>): string {
  const requirement = (issue as { requirement?: unknown }).requirement;
  if (issue.kind === 'schema') {
    if (issue.expected === 'never') return 'unknown field';
    if (issue.received === 'undefined') return 'is required';
  }
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  switch (issue.type) {
    case 'max_value':
      return `must be at most ${String(requirement)} (got ${issue.received})`;
    case 'min_value':
      return `must be at least ${String(requirement)} (got ${issue.received})`;
    case 'integer':
      return `must be an integer (got ${issue.received})`;
    case 'min_length':
      return `must have at least ${String(requirement)} item(s) or character(s)`;
    case 'max_length':
      return `must have at most ${String(requirement)} item(s) or character(s)`;
    default:
      return `must be ${issue.expected ?? 'something else'} (got ${issue.received})`;
  }
}

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true;
  const m = LOOPBACK_V4.exec(host);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/** Every URL must be https; loopback http only when the config opts in. */
function urlIssue(value: string, allowLoopbackHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined; // the schema already reports it
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not have a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) return 'must use https (http is allowed only for loopback hosts with insecureLoopbackHttp)';
    if (!allowLoopbackHttp) return 'must use https (set insecureLoopbackHttp: true to allow http on loopback for local runs)';
    return undefined;
  }
  return 'must use https';
}

type Loose = Record<string, unknown>;
const asObject = (value: unknown): Loose => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Cross references, URL policy and uniqueness. Runs on the raw document too (when the
 * schema already failed) so that one run reports every offending field; hence the
 * defensive reads.
 */
function semanticIssues(document: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const root = asObject(document);
  const loop = root['insecureLoopbackHttp'] === true;
  const checkUrl = (path: string, value: unknown) => {
    const url = asString(value);
    if (url === undefined) return;
    const problem = urlIssue(url, loop);
    if (problem) add(path, problem);
  };

  const issuers = asObject(root['issuers']);
  const servers = asObject(root['authorizationServers']);
  const issuerUrls = new Map<string, string>();
  for (const [key, raw] of Object.entries(issuers)) {
    const issuer = asObject(raw);
    const base = `issuers.${key}`;
    const introspection = asObject(issuer['introspection']);
    checkUrl(`${base}.issuer`, issuer['issuer']);
    checkUrl(`${base}.jwksUri`, issuer['jwksUri']);
    checkUrl(`${base}.introspection.endpoint`, introspection['endpoint']);
    if (issuer['jwksUri'] === undefined && issuer['introspection'] === undefined) {
      add(base, 'needs jwksUri (JWT) or introspection (opaque tokens), or both');
    }
    const url = asString(issuer['issuer']);
    if (url === undefined) continue;
    const seen = issuerUrls.get(url);
    if (seen) add(`${base}.issuer`, `duplicates the issuer of issuers.${seen}`);
    else issuerUrls.set(url, key);
  }

  for (const [key, raw] of Object.entries(servers)) {
    const server = asObject(raw);
    checkUrl(`authorizationServers.${key}.issuer`, server['issuer']);
    checkUrl(`authorizationServers.${key}.tokenEndpoint`, server['tokenEndpoint']);
    checkUrl(`authorizationServers.${key}.jwksUri`, server['jwksUri']);
    clientSecretIssues(`authorizationServers.${key}`, server, add);
  }

  const ids = new Map<string, number>();
  const routeKeys = new Map<string, number>();
  asArray(root['routes']).forEach((raw, index) => {
    const route = asObject(raw);
    const base = `routes[${index}]`;
    const id = asString(route['id']);
    if (id !== undefined) {
      const previous = ids.get(id);
      if (previous !== undefined) add(`${base}.id`, `duplicates the id of routes[${previous}]`);
      else ids.set(id, index);
    }
    const path = asString(route['path']);
    const method = asString(route['method']);
    if (path !== undefined && method !== undefined) {
      const routeKey = `${method} ${normalizePathShape(path)}`;
      const previous = routeKeys.get(routeKey);
      if (previous !== undefined) add(`${base}.path`, `duplicates the method and path of routes[${previous}]`);
      else routeKeys.set(routeKey, index);
      const names = [...path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1]);
      if (new Set(names).size !== names.length) add(`${base}.path`, 'repeats a path parameter name');
    }

    checkUrl(`${base}.upstream`, route['upstream']);
    let introspecting = 0;
    asArray(route['acceptedIssuers']).forEach((name, i) => {
      if (typeof name !== 'string') return;
      if (!Object.hasOwn(issuers, name)) {
        add(`${base}.acceptedIssuers[${i}]`, `unknown issuer "${name}"`);
      } else if (asObject(issuers[name])['introspection'] !== undefined) {
        introspecting += 1;
      }
    });
    // An opaque token says nothing about who issued it; sending it to several
    // introspection endpoints would hand one IdP's bearer token to another.
    if (introspecting > 1) add(`${base}.acceptedIssuers`, 'may accept at most one issuer that uses introspection');

    if (route['exchange'] !== undefined) {
      const exchange = asObject(route['exchange']);
      const name = asString(exchange['authorizationServer']);
      if (name !== undefined && !Object.hasOwn(servers, name)) {
        add(`${base}.exchange.authorizationServer`, `unknown authorization server "${name}"`);
      }
      asArray(exchange['resource']).forEach((r, i) => checkUrl(`${base}.exchange.resource[${i}]`, r));
      const actor = asObject(exchange['actor']);
      if (name !== undefined && asObject(servers[name])['grant'] === Grant.JwtBearer && actor['source'] !== undefined && actor['source'] !== 'none') {
        add(`${base}.exchange.actor`, `authorization server "${name}" uses the jwt-bearer grant, which has no actor token (RFC 7523): use actor source "none"`);
      }
      // The gateway's own actor token comes from a client_credentials grant, which needs a client identity.
      if (name !== undefined && asObject(servers[name])['clientAuth'] === ClientAuth.None && actor['source'] === 'gateway') {
        add(
          `${base}.exchange.actor`,
          `authorization server "${name}" has clientAuth "none", so the gateway has no client identity there to get its own actor token: use actor source "none" or "header", or give the server a clientAuth and clientSecretId`,
        );
      }
    }

    if (route['mcp'] !== undefined) mcpIssues(base, route, add, checkUrl);
  });

  // A metadata route is an API route too: it must not take another route's place.
  const mcpMetadataPaths = new Map<string, number>();
  asArray(root['routes']).forEach((raw, index) => {
    const route = asObject(raw);
    const path = asString(route['path']);
    if (route['mcp'] === undefined || path === undefined) return;
    const metadataPath = normalizePathShape(metadataPathOf({ path }));
    const first = mcpMetadataPaths.get(metadataPath);
    // One metadata document per path: two MCP routes there would publish two.
    if (first !== undefined) add(`routes[${index}].path`, `routes[${first}] is already an MCP route on this path: one MCP route per path (method ANY serves every method)`);
    else mcpMetadataPaths.set(metadataPath, index);
  });
  asArray(root['routes']).forEach((raw, index) => {
    const path = asString(asObject(raw)['path']);
    if (path === undefined) return;
    const owner = mcpMetadataPaths.get(normalizePathShape(path));
    if (owner !== undefined) add(`routes[${index}].path`, `is the protected resource metadata path of the MCP route routes[${owner}]`);
  });
  return issues;
}

/**
 * `clientSecretId` goes with client authentication: required for every `clientAuth` but
 * "none" (absent means client_secret_basic), refused with "none" so that nothing suggests a
 * secret is read or sent.
 */
const SECRET_METHODS: ReadonlySet<unknown> = new Set([ClientAuth.Basic, ClientAuth.Post, ClientAuth.PrivateKeyJwt]);
function clientSecretIssues(base: string, server: Loose, add: (path: string, message: string) => void): void {
  const method: unknown = server['clientAuth'] ?? ClientAuth.Basic;
  const hasSecret = server['clientSecretId'] !== undefined;
  if (method === ClientAuth.None && hasSecret) {
    add(`${base}.clientSecretId`, 'must be absent with clientAuth "none": no secret is read or sent to this server; remove clientSecretId, or choose the clientAuth the server expects');
  } else if (SECRET_METHODS.has(method) && !hasSecret) {
    add(`${base}.clientSecretId`, `is required with clientAuth "${String(method)}": name the Secrets Manager secret holding the gateway's client credentials, or set clientAuth "none" if the server authenticates no client`);
  }
}

/** An MCP route: a literal path, and a resource URI that ends with it (RFC 8707 §2: no fragment, no query). */
function mcpIssues(base: string, route: Loose, add: (path: string, message: string) => void, checkUrl: (path: string, value: unknown) => void): void {
  const path = asString(route['path']);
  if (path !== undefined && path.includes('{')) {
    add(`${base}.path`, 'an MCP route has a literal path such as /mcp (its metadata is published at that path under /.well-known/oauth-protected-resource)');
  }
  const resource = asString(asObject(route['mcp'])['resource']);
  if (resource === undefined) return;
  checkUrl(`${base}.mcp.resource`, resource);
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    return;
  }
  if (url.search !== '') add(`${base}.mcp.resource`, 'must not have a query (RFC 8707 §2)');
  if (path !== undefined && !path.includes('{') && basePathOf(url.pathname, path) === undefined) {
    add(
      `${base}.mcp.resource`,
      `its path must end with the route's path "${path}": it is the URL clients call, e.g. https://api.example.com${path === '/' ? '' : path} (a REST API stage or a base path may come before it)`,
    );
  }
}

/** `/orders/{id}` and `/orders/{orderId}` are the same route to API Gateway. */
function normalizePathShape(path: string): string {
  return path.replace(/\{[A-Za-z0-9_]+\+\}/g, '{+}').replace(/\{[A-Za-z0-9_]+\}/g, '{}');
}

export type ValidationResult =
  | { readonly ok: true; readonly config: GatepassConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Validate a parsed JSON document: schema first, then cross references and URL policy. */
export function validateConfig(document: unknown): ValidationResult {
  const parsed = v.safeParse(GatepassConfigSchema, document, { abortEarly: false });
  const issues = dedupe([...(parsed.success ? [] : schemaIssues(parsed.issues)), ...semanticIssues(document)]);
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  return { ok: true, config: deepFreeze(parsed.output) };
}

/** Validate or throw a ConfigError that lists every offending field. */
export function parseConfig(document: unknown, source?: string): GatepassConfig {
  const result = validateConfig(document);
  if (!result.ok) throw new ConfigError(result.issues, source);
  return result.config;
}

/** Parse JSON text, reporting a syntax error as a config issue at the root. */
export function parseConfigText(text: string, source?: string): GatepassConfig {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([{ path: '(root)', message: `not valid JSON: ${(error as Error).message}` }], source);
  }
  return parseConfig(document, source);
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\n${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
