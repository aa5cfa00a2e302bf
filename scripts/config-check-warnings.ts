import type { GatepassConfig, IssuerConfig } from '../functions/shared/config/config-schema.js';
import type { ConfigIssue } from '../functions/shared/config/config-validator.js';

/**
 * What `config:check` warns about (docs/configuration.md "Warnings"): settings the functions
 * accept, and run with, that almost always mean something other than what was written. They
 * are printed, never errors: each can be meant, and the functions' own validation stays the
 * one judge of what runs. Each names its field path and the fix.
 */
export function configWarnings(config: GatepassConfig): ConfigIssue[] {
  return [...openIssuerWarnings(config), ...deadSameIssuerWarnings(config), ...tokenTypeWarnings(config), ...actorHeaderWarnings(config)];
}

/** Issuers whose JWTs gatepass verifies itself (an introspection-only issuer's answers decide for it). */
const verifiesJwts = (issuer: IssuerConfig) => issuer.jwksUri !== undefined;

function openIssuerWarnings(config: GatepassConfig): ConfigIssue[] {
  return Object.entries(config.issuers)
    .filter(([, issuer]) => verifiesJwts(issuer) && issuer.audiences === undefined && issuer.tokenTypes === undefined)
    .map(([key]) => ({
      path: `issuers.${key}`,
      message:
        'has neither audiences nor tokenTypes: any JWT this issuer signs is accepted, whatever API it was issued for, ID tokens included. ' +
        'Set audiences to the aud its access tokens carry for this API, or tokenTypes to the typ of its access tokens (["at+jwt"], RFC 9068) when it sets one',
    }));
}

function deadSameIssuerWarnings(config: GatepassConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  config.routes.forEach((route, index) => {
    const exchange = route.exchange;
    const server = exchange ? config.authorizationServers[exchange.authorizationServer] : undefined;
    if (!exchange?.sameIssuerWhen || !server) return;
    // route-policy.ts classify: a token is same-issuer when its issuer entry has the authorization server's issuer URL.
    if (route.acceptedIssuers.some((key) => config.issuers[key]?.issuer === server.issuer)) return;
    const name = exchange.authorizationServer;
    const configured = Object.entries(config.issuers).find(([, issuer]) => issuer.issuer === server.issuer)?.[0];
    const why =
      configured === undefined
        ? `authorization server "${name}" has issuer ${server.issuer}, which no entry of issuers has`
        : `authorization server "${name}" has the issuer of issuers.${configured}, which this route does not accept`;
    const fix =
      configured === undefined
        ? `Make authorizationServers.${name}.issuer the exact iss of its tokens (a trailing slash counts), or remove sameIssuerWhen`
        : `Add "${configured}" to acceptedIssuers, or remove sameIssuerWhen`;
    warnings.push({
      path: `routes[${index}].exchange.sameIssuerWhen`,
      message: `can never hold: ${why}, so no token on this route is ever same-issuer and every token is exchanged. ${fix}`,
    });
  });
  return warnings;
}

/** RFC 3986 §3.1: a URI starts with a scheme and a colon. */
const URI_PATTERN = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
/** RFC 8693 §3's token type identifiers, by the short name people write instead. */
const KNOWN_TOKEN_TYPES = new Set(['access_token', 'refresh_token', 'id_token', 'jwt', 'saml1', 'saml2']);

function tokenTypeWarnings(config: GatepassConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  config.routes.forEach((route, index) => {
    for (const field of ['requestedTokenType', 'subjectTokenType'] as const) {
      const value = route.exchange?.[field];
      if (value === undefined || URI_PATTERN.test(value)) continue;
      const suggestion = KNOWN_TOKEN_TYPES.has(value.toLowerCase())
        ? `urn:ietf:params:oauth:token-type:${value.toLowerCase()}`
        : 'one of RFC 8693 §3, such as urn:ietf:params:oauth:token-type:access_token';
      warnings.push({
        path: `routes[${index}].exchange.${field}`,
        message: `"${value}" is not a URI: token type identifiers are URIs (RFC 8693 §3), and a server that follows it refuses anything else (invalid_request). Use ${suggestion}`,
      });
    }
  });
  return warnings;
}

function actorHeaderWarnings(config: GatepassConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  config.routes.forEach((route, index) => {
    const actor = route.exchange?.actor;
    if (actor?.source !== 'header' || actor.header.toLowerCase() !== 'authorization') return;
    warnings.push({
      path: `routes[${index}].exchange.actor.header`,
      message:
        "names Authorization, the header that carries the caller's own token: the actor token would be the subject token itself, so the issued token says the caller acts for itself. " +
        'Name the header the acting party sends its own token in, such as x-actor-token',
    });
  });
  return warnings;
}
