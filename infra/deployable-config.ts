import type { GatepassConfig } from '../functions/shared/config/config-schema.js';
import { isLoopbackHost, type ConfigIssue } from '../functions/shared/config/config-validator.js';
import { isMcpRoute } from '../functions/shared/mcp/protected-resource.js';

/**
 * What a configuration must not carry into AWS, on top of the schema: `insecureLoopbackHttp`
 * and any loopback URL (https or, with that flag, http) exist for local runs (`npm start`) and cannot work from
 * a Lambda function. Synth refuses them; `npm run config:check -- --deploy` reports them.
 */
export function deployabilityIssues(config: GatepassConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.insecureLoopbackHttp) {
    issues.push({ path: 'insecureLoopbackHttp', message: 'is for local runs only: remove it (or set it to false) before deploying' });
  }
  // The validator allows http only on loopback hosts, so refusing loopback hosts refuses every http URL too.
  for (const [path, value] of urlsOf(config)) {
    const { hostname } = new URL(value);
    if (isLoopbackHost(hostname)) issues.push({ path, message: `names a loopback host (${hostname}), which a deployed function cannot reach` });
  }
  return issues;
}

/** Every URL field the validator's URL policy covers (functions/shared/config/config-validator.ts). */
function* urlsOf(config: GatepassConfig): Generator<[path: string, url: string]> {
  for (const [key, issuer] of Object.entries(config.issuers)) {
    yield [`issuers.${key}.issuer`, issuer.issuer];
    if (issuer.jwksUri !== undefined) yield [`issuers.${key}.jwksUri`, issuer.jwksUri];
    if (issuer.introspection !== undefined) yield [`issuers.${key}.introspection.endpoint`, issuer.introspection.endpoint];
  }
  for (const [key, server] of Object.entries(config.authorizationServers)) {
    yield [`authorizationServers.${key}.issuer`, server.issuer];
    yield [`authorizationServers.${key}.tokenEndpoint`, server.tokenEndpoint];
    if (server.jwksUri !== undefined) yield [`authorizationServers.${key}.jwksUri`, server.jwksUri];
  }
  for (const [index, route] of config.routes.entries()) {
    yield [`routes[${index}].upstream`, route.upstream];
    for (const [i, resource] of (route.exchange?.resource ?? []).entries()) yield [`routes[${index}].exchange.resource[${i}]`, resource];
    if (route.mcp !== undefined) yield [`routes[${index}].mcp.resource`, route.mcp.resource];
  }
}

/** A Secrets Manager secret the functions read: create it before the first deploy (docs/deploy.md "Create the secrets"). */
export interface RequiredSecret {
  /** Secret name or full ARN, as the configuration gives it. */
  readonly secretId: string;
  /** The JSON the secret string must hold. */
  readonly contains: string;
  /** The function that reads it (and so holds `secretsmanager:GetSecretValue` on it). */
  readonly readBy: 'authorizer' | 'exchange';
  /** What the reader uses it for: introspecting tokens, or authenticating to an authorization server. */
  readonly purpose: 'introspection' | 'client';
  /** The configuration fields that name it. */
  readonly usedBy: readonly string[];
}

/**
 * Every secret the configuration names, once per id and reader. The cache key secret is
 * not listed: the state stack creates it.
 */
export function requiredSecrets(config: GatepassConfig): RequiredSecret[] {
  const found = new Map<string, RequiredSecret & { usedBy: string[] }>();
  const add = (secretId: string, contains: string, readBy: RequiredSecret['readBy'], purpose: RequiredSecret['purpose'], field: string) => {
    const key = `${readBy} ${purpose} ${secretId}`;
    const entry = found.get(key) ?? { secretId, contains, readBy, purpose, usedBy: [] };
    entry.usedBy.push(field);
    found.set(key, entry);
  };
  for (const [key, issuer] of Object.entries(config.issuers)) {
    if (issuer.introspection === undefined) continue;
    add(issuer.introspection.clientSecretId, CLIENT_SECRET_SHAPE, 'authorizer', 'introspection', `issuers.${key}.introspection.clientSecretId`);
  }
  // MCP routes have no authorizer: the exchange function introspects their tokens itself.
  const mcpIssuers = new Set(config.routes.filter(isMcpRoute).flatMap((route) => route.acceptedIssuers));
  for (const key of mcpIssuers) {
    const introspection = config.issuers[key]?.introspection;
    if (introspection !== undefined) add(introspection.clientSecretId, CLIENT_SECRET_SHAPE, 'exchange', 'introspection', `issuers.${key}.introspection.clientSecretId, for MCP routes`);
  }
  for (const [key, server] of Object.entries(config.authorizationServers)) {
    // clientAuth "none": the server authenticates no client, so there is no secret to create.
    if (server.clientSecretId === undefined) continue;
    const contains = server.clientAuth === 'private_key_jwt' ? PRIVATE_KEY_SHAPE : CLIENT_SECRET_SHAPE;
    add(server.clientSecretId, contains, 'exchange', 'client', `authorizationServers.${key}.clientSecretId`);
  }
  return [...found.values()];
}

/** The ids of the secrets one function reads for one purpose: what its IAM role is granted. */
export function secretIdsReadBy(config: GatepassConfig, readBy: RequiredSecret['readBy'], purpose: RequiredSecret['purpose']): string[] {
  return requiredSecrets(config)
    .filter((secret) => secret.readBy === readBy && secret.purpose === purpose)
    .map((secret) => secret.secretId);
}

const CLIENT_SECRET_SHAPE = '{"client_id": "…", "client_secret": "…"}';
const PRIVATE_KEY_SHAPE = '{"client_id": "…", "private_key_jwk": {…a private RSA, EC or OKP JWK…}}';

/** The secrets as `config:check` prints them. */
export function describeRequiredSecrets(config: GatepassConfig): string {
  const secrets = requiredSecrets(config);
  if (secrets.length === 0) return 'secrets to create before the first deploy: none';
  return [
    'secrets to create before the first deploy (the cache key secret is created by the stack):',
    ...secrets.map((s) => `  ${s.secretId}: ${s.contains}, read by the ${s.readBy} function (${s.usedBy.join(', ')})`),
  ].join('\n');
}
