import type { GatepassConfig, GatepassConfigInput } from '../../functions/shared/config/config-schema.js';
import { parseConfig } from '../../functions/shared/config/config-validator.js';

/**
 * The demo world of the local stack: who issues what, which clients exist, and the
 * gatepass configuration that ties them to the routes of the walkthrough. The
 * configuration is generated at start with the real loopback URLs and validated with the
 * schema the functions use.
 */
export const DEMO = {
  /** The partner IdP's resource server: the `aud` of the callers' tokens. */
  partnerAudience: 'https://api.example.com',
  partnerScopes: ['orders:read', 'orders:write', 'profile'],
  /** The partner application that gets tokens with client_credentials. */
  partnerClientId: 'partner-app',
  /** The corporate AS's resource server for the orders service. */
  ordersResource: 'https://orders.internal.example',
  ordersAudience: 'orders',
  ordersScopes: ['orders:read', 'orders:write', 'orders:admin'],
  /** gatepass's own client at the corporate AS (token exchange and its actor token). */
  gatewayClientId: 'gatepass',
  /** A corporate application whose tokens show same-issuer downscoping and passthrough. */
  corpClientId: 'corp-app',
  /** The legacy SSO's introspection client for gatepass. */
  legacyIntrospectionClientId: 'gatepass-introspection',
  actorHeader: 'x-actor-token',
  /** The MCP demo: the scope an MCP client asks for, and the corporate AS's resource server for the MCP server behind /mcp. */
  mcpScopes: ['mcp:tools'],
  mcpUpstreamResource: 'https://mcp.internal.example',
  mcpUpstreamAudience: 'mcp-tools-server',
  /** The MCP client at the corporate AS: client_credentials with a resource indicator (RFC 8707) for gatepass's /mcp. */
  mcpClientId: 'mcp-client',
  secrets: {
    corpExchange: 'gatepass/corp-exchange',
    legacyIntrospection: 'gatepass/legacy-introspection',
    cacheKey: 'gatepass/cache-key',
  },
} as const;

export interface DemoEndpoints {
  readonly partner: { readonly issuer: string; readonly jwksUri: string };
  readonly corp: { readonly issuer: string; readonly jwksUri: string; readonly tokenEndpoint: string };
  readonly legacy: { readonly issuer: string; readonly introspectionEndpoint: string };
  /** The echo upstream's origin. */
  readonly upstream: string;
  /** The local gateway's origin (`http://127.0.0.1:<port>`): the MCP route's resource URI starts with it. */
  readonly gateway: string;
  /** The MCP server's origin (it serves /mcp). */
  readonly mcpUpstream: string;
}

/** The path of the demo's MCP route, at the gateway and at the MCP server. */
export const DEMO_MCP_PATH = '/mcp';

/** The demo MCP route's canonical resource URI (RFC 8707): what an MCP client's token must name in `aud`. */
export function demoMcpResource(gatewayOrigin: string): string {
  return `${gatewayOrigin}${DEMO_MCP_PATH}`;
}

/** The route ids of the demo configuration. */
export const DemoRoute = {
  OrdersRead: 'orders-read',
  OrdersCreate: 'orders-create',
  Health: 'health',
  OrdersDelegated: 'orders-delegated',
  OrdersOnBehalf: 'orders-on-behalf',
  Reports: 'reports',
  Mcp: 'mcp',
} as const;

function demoConfigDocument(endpoints: DemoEndpoints): GatepassConfigInput {
  const orders = `${endpoints.upstream}/orders-service`;
  const ordersExchange = { authorizationServer: 'corp', audience: [DEMO.ordersAudience], scope: ['orders:read'] };
  return {
    version: 1,
    insecureLoopbackHttp: true,
    issuers: {
      partner: { issuer: endpoints.partner.issuer, jwksUri: endpoints.partner.jwksUri, audiences: [DEMO.partnerAudience], algorithms: ['RS256'], tokenTypes: ['at+jwt'] },
      corp: { issuer: endpoints.corp.issuer, jwksUri: endpoints.corp.jwksUri, algorithms: ['RS256'], tokenTypes: ['at+jwt'] },
      legacy: {
        issuer: endpoints.legacy.issuer,
        introspection: { endpoint: endpoints.legacy.introspectionEndpoint, clientSecretId: DEMO.secrets.legacyIntrospection },
      },
    },
    authorizationServers: {
      corp: { issuer: endpoints.corp.issuer, tokenEndpoint: endpoints.corp.tokenEndpoint, clientAuth: 'client_secret_basic', clientSecretId: DEMO.secrets.corpExchange },
    },
    routes: [
      {
        id: DemoRoute.OrdersRead,
        method: 'GET',
        path: '/orders/{id}',
        upstream: orders,
        acceptedIssuers: ['partner', 'corp'],
        requiredScopes: ['orders:read'],
        exchange: {
          ...ordersExchange,
          sameIssuerWhen: { hasScopes: ['orders:admin'] },
          flow: 'federation',
          owner: 'orders-team',
          justification: 'partner order lookups; corporate admin tokens are narrowed to orders:read',
        },
      },
      {
        id: DemoRoute.OrdersCreate,
        method: 'POST',
        path: '/orders',
        upstream: orders,
        acceptedIssuers: ['partner'],
        requiredScopes: ['orders:write'],
        exchange: { authorizationServer: 'corp', audience: [DEMO.ordersAudience], scope: ['orders:write'], flow: 'federation', owner: 'orders-team' },
      },
      { id: DemoRoute.Health, method: 'GET', path: '/health', upstream: orders, acceptedIssuers: ['partner', 'corp'] },
      {
        id: DemoRoute.OrdersDelegated,
        method: 'GET',
        path: '/delegated/orders/{id}',
        upstream: orders,
        acceptedIssuers: ['partner'],
        requiredScopes: ['orders:read'],
        exchange: { ...ordersExchange, actor: { source: 'gateway' }, flow: 'delegation', owner: 'orders-team', justification: 'the gateway acts for partner callers' },
      },
      {
        id: DemoRoute.OrdersOnBehalf,
        method: 'GET',
        path: '/on-behalf/orders/{id}',
        upstream: orders,
        acceptedIssuers: ['partner'],
        requiredScopes: ['orders:read'],
        exchange: { ...ordersExchange, actor: { source: 'header', header: DEMO.actorHeader }, flow: 'delegation', owner: 'orders-team' },
      },
      {
        id: DemoRoute.Reports,
        method: 'ANY',
        path: '/reports/{proxy+}',
        upstream: `${endpoints.upstream}/reports-service`,
        acceptedIssuers: ['legacy'],
        requiredScopes: ['reports'],
      },
      {
        id: DemoRoute.Mcp,
        method: 'ANY',
        path: DEMO_MCP_PATH,
        upstream: endpoints.mcpUpstream,
        // The MCP client's tokens come from the corporate AS; the route exchanges them there too.
        acceptedIssuers: ['corp'],
        requiredScopes: [...DEMO.mcpScopes],
        mcp: { resource: demoMcpResource(endpoints.gateway), scopesSupported: [...DEMO.mcpScopes], resourceName: 'gatepass demo MCP server' },
        exchange: {
          authorizationServer: 'corp',
          audience: [DEMO.mcpUpstreamAudience],
          // Same issuer: without this the caller's token would pass through; with it, every MCP token is rebound to the MCP server's audience.
          sameIssuerWhen: { hasScopes: [...DEMO.mcpScopes] },
          flow: 'downscoping',
          owner: 'platform-team',
          justification: "the MCP server receives a token issued for it, never the client's token for gatepass",
        },
      },
    ],
  };
}

/** The demo configuration, validated by the shared schema (a mistake here fails the start). */
export function demoConfig(endpoints: DemoEndpoints): GatepassConfig {
  return parseConfig(demoConfigDocument(endpoints), 'local demo configuration');
}
