import type { GatepassConfig } from './config-schema.js';

/**
 * A one-line summary and the inventory of trust paths (issuers accepted per route,
 * exchanges with their flow, owner and justification) for periodic review.
 */
export function describeConfig(config: GatepassConfig): string {
  const lines = [
    `ok: ${configSummary(config)}`,
    '',
    'trusted issuers:',
  ];
  for (const [key, issuer] of Object.entries(config.issuers)) {
    const how = [issuer.jwksUri ? `jwks ${issuer.jwksUri}` : '', issuer.introspection ? `introspection ${issuer.introspection.endpoint}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${key}: ${issuer.issuer} (${how})`);
  }
  if (Object.keys(config.authorizationServers).length > 0) lines.push('', 'authorization servers:');
  for (const [key, server] of Object.entries(config.authorizationServers)) {
    // Who gatepass is at each server, so a review sees which exchanges carry no client identity.
    const client = server.clientSecretId === undefined ? `clientAuth ${server.clientAuth}: authenticates no client, no secret` : `clientAuth ${server.clientAuth} with ${server.clientSecretId}`;
    lines.push(`  ${key}: ${server.tokenEndpoint} (grant ${server.grant}, ${client})`);
  }
  lines.push('', 'routes:');
  for (const route of config.routes) {
    const scopes = route.requiredScopes.length ? ` requires [${route.requiredScopes.join(' ')}]` : '';
    const head = `  ${route.id}: ${route.method} ${route.path} <- [${route.acceptedIssuers.join(', ')}]${scopes} -> ${route.upstream}`;
    const ex = route.exchange;
    if (!ex) {
      lines.push(`${head} (validate and pass through)`);
      continue;
    }
    const governance = [ex.flow && `flow=${ex.flow}`, ex.owner && `owner=${ex.owner}`, ex.justification && `why="${ex.justification}"`]
      .filter(Boolean)
      .join(' ');
    lines.push(
      `${head} via ${ex.authorizationServer}` +
        ` scope=[${ex.scope.join(' ')}] audience=[${ex.audience.join(' ')}] actor=${ex.actor.source}` +
        (governance ? ` ${governance}` : ''),
    );
  }
  return lines.join('\n');
}

/** One line: routes, issuers and authorization servers by name (synth prints it beside the file). */
export function configSummary(config: GatepassConfig): string {
  const issuers = Object.keys(config.issuers);
  const servers = Object.keys(config.authorizationServers);
  const exchanging = config.routes.filter((r) => r.exchange).length;
  return (
    `${config.routes.length} route(s) (${exchanging} exchanging), ${issuers.length} issuer(s) [${issuers.join(', ')}], ` +
    `${servers.length} authorization server(s) [${servers.join(', ')}]`
  );
}
