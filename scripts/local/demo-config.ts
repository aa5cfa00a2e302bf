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
  /**
   * The Entra-style tenant of the On-Behalf-Of demo (fakes/entra-server.ts). The callers' tokens
   * and the orders API's come from the same tenant (v2.0 issuer on both sides).
   */
  entra: {
    /** gatepass's app registration: the `aud` of the callers' tokens, and the OBO client. */
    gatewayAppId: '3c1b2a9e-5f4d-4e8a-b7c6-1d2e3f4a5b6c',
    gatewayAppIdUri: 'api://gatepass',
    /** The permission gatepass's app exposes to the portal. */
    callerScope: 'access_as_user',
    /** The orders API: its App ID URI prefixes its scopes; its client id is the `aud` of its v2.0 tokens. */
    ordersAppIdUri: 'api://orders',
    ordersAppId: '9d8c7b6a-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
    ordersScopes: ['Orders.Read', 'Orders.Write', 'Orders.Audit'],
    /** What an admin consented to for gatepass's app: not Orders.Audit. */
    consented: ['api://orders/Orders.Read', 'api://orders/Orders.Write'],
    /** The single-page app the user signed in to: the caller token's `azp`. */
    portalAppId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    user: { oid: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9', name: 'Ada Lovelace', preferredUsername: 'ada@contoso.example' },
  },
  /** The MCP demo: the scope an MCP client asks for, and the corporate AS's resource server for the MCP server behind /mcp. */
  mcpScopes: ['mcp:tools'],
  mcpUpstreamResource: 'https://mcp.internal.example',
  mcpUpstreamAudience: 'mcp-tools-server',
  /** The MCP client at the corporate AS: client_credentials with a resource indicator (RFC 8707) for gatepass's /mcp. */
  mcpClientId: 'mcp-client',
  secrets: {
    corpExchange: 'gatepass/corp-exchange',
    entraObo: 'gatepass/entra-obo',
    legacyIntrospection: 'gatepass/legacy-introspection',
    cacheKey: 'gatepass/cache-key',
  },
} as const;

export interface DemoEndpoints {
  readonly partner: { readonly issuer: string; readonly jwksUri: string };
  readonly corp: { readonly issuer: string; readonly jwksUri: string; readonly tokenEndpoint: string };
  readonly legacy: { readonly issuer: string; readonly introspectionEndpoint: string };
  readonly entra: { readonly issuer: string; readonly jwksUri: string; readonly tokenEndpoint: string };
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
  EntraOrders: 'entra-orders',
  EntraOrdersAudit: 'entra-orders-audit',
  Mcp: 'mcp',
} as const;

function demoConfigDocument(endpoints: DemoEndpoints): GatepassConfigInput {
  const orders = `${endpoints.upstream}/orders-service`;
  const ordersExchange = { authorizationServer: 'corp', audience: [DEMO.ordersAudience], scope: ['orders:read'] };
  const entraExchange = {
    authorizationServer: 'entra',
    // Same tenant on both sides: every caller token for gatepass's app is exchanged, never passed on.
    sameIssuerWhen: { hasAudience: [DEMO.entra.gatewayAppId as string] },
    flow: 'delegation' as const,
    owner: 'orders-team',
  };
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
      entra: { issuer: endpoints.entra.issuer, jwksUri: endpoints.entra.jwksUri, audiences: [DEMO.entra.gatewayAppId], algorithms: ['RS256'] },
    },
    authorizationServers: {
      corp: { issuer: endpoints.corp.issuer, tokenEndpoint: endpoints.corp.tokenEndpoint, clientAuth: 'client_secret_basic', clientSecretId: DEMO.secrets.corpExchange },
      entra: {
        issuer: endpoints.entra.issuer,
        tokenEndpoint: endpoints.entra.tokenEndpoint,
        grant: 'jwt-bearer',
        parameters: { requested_token_use: 'on_behalf_of' },
        clientAuth: 'client_secret_post',
        clientSecretId: DEMO.secrets.entraObo,
        jwksUri: endpoints.entra.jwksUri,
      },
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
        id: DemoRoute.EntraOrders,
        method: 'GET',
        path: '/entra/orders/{id}',
        upstream: orders,
        acceptedIssuers: ['entra'],
        requiredScopes: [DEMO.entra.callerScope],
        exchange: { ...entraExchange, scope: [`${DEMO.entra.ordersAppIdUri}/Orders.Read`], justification: 'Entra On-Behalf-Of: the orders API gets its own token for the signed-in user' },
      },
      {
        id: DemoRoute.EntraOrdersAudit,
        method: 'GET',
        path: '/entra/orders/{id}/audit',
        upstream: orders,
        acceptedIssuers: ['entra'],
        requiredScopes: [DEMO.entra.callerScope],
        exchange: { ...entraExchange, scope: [`${DEMO.entra.ordersAppIdUri}/Orders.Audit`], justification: 'the audit trail; its permission awaits admin consent' },
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
