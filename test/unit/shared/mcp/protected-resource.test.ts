import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../functions/shared/config/config-validator.js';
import { gatewayRoutesOf } from '../../../../functions/shared/config/gateway-routes.js';
import { basePathOf, isMcpRoute, metadataPathOf, protectedResourceMetadata, resourceMetadataUrl } from '../../../../functions/shared/mcp/protected-resource.js';

const config = parseConfig({
  version: 1,
  issuers: {
    corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks' },
    partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks' },
  },
  routes: [
    { id: 'orders', method: 'GET', path: '/orders/{id}', upstream: 'https://orders.example', acceptedIssuers: ['corp'] },
    { id: 'mcp', method: 'ANY', path: '/mcp', upstream: 'https://mcp.example', acceptedIssuers: ['corp'], mcp: { resource: 'https://api.example.com/mcp', scopesSupported: ['mcp:tools'], resourceName: 'Orders MCP' } },
    { id: 'staged', method: 'POST', path: '/tools/mcp', upstream: 'https://mcp.example', acceptedIssuers: ['partner', 'corp'], mcp: { resource: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/tools/mcp/' } },
  ],
});
const [, mcp, staged] = config.routes;

describe('MCP protected resource metadata (RFC 9728)', () => {
  it('inserts the well-known prefix before the route path (RFC 9728 §3.1)', () => {
    expect(metadataPathOf({ path: '/mcp' })).toBe('/.well-known/oauth-protected-resource/mcp');
    expect(metadataPathOf({ path: '/' })).toBe('/.well-known/oauth-protected-resource');
  });

  it('puts the challenge URL at the host root, or under the API base path the resource names', () => {
    if (!mcp || !isMcpRoute(mcp) || !staged || !isMcpRoute(staged)) throw new Error('fixture');
    expect(resourceMetadataUrl(mcp)).toBe('https://api.example.com/.well-known/oauth-protected-resource/mcp');
    expect(resourceMetadataUrl(staged)).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/prod/.well-known/oauth-protected-resource/tools/mcp');
  });

  it('finds the base path only on a segment boundary', () => {
    expect(basePathOf('/prod/mcp', '/mcp')).toBe('/prod');
    expect(basePathOf('/mcp/', '/mcp')).toBe('');
    expect(basePathOf('/xmcp', '/mcp')).toBeUndefined();
    expect(basePathOf('/other', '/mcp')).toBeUndefined();
  });

  it('names exactly the accepted issuers as authorization servers, and the configured fields', () => {
    if (!mcp || !isMcpRoute(mcp) || !staged || !isMcpRoute(staged)) throw new Error('fixture');
    expect(protectedResourceMetadata(config, mcp)).toEqual({
      resource: 'https://api.example.com/mcp',
      authorization_servers: ['https://login.corp.example'],
      scopes_supported: ['mcp:tools'],
      bearer_methods_supported: ['header'],
      resource_name: 'Orders MCP',
    });
    expect(protectedResourceMetadata(config, staged)).toEqual({
      resource: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/tools/mcp/',
      authorization_servers: ['https://idp.partner.example', 'https://login.corp.example'],
      bearer_methods_supported: ['header'],
    });
  });

  it('lists the API routes: ordinary routes behind the authorizer, MCP routes guarded by the function, metadata public', () => {
    expect(gatewayRoutesOf(config)).toEqual([
      { routeId: 'orders', kind: 'route', method: 'GET', path: '/orders/{id}', guard: 'authorizer' },
      { routeId: 'mcp', kind: 'route', method: 'ANY', path: '/mcp', guard: 'function' },
      { routeId: 'mcp', kind: 'mcp-metadata', method: 'GET', path: '/.well-known/oauth-protected-resource/mcp', guard: 'none' },
      { routeId: 'staged', kind: 'route', method: 'POST', path: '/tools/mcp', guard: 'function' },
      { routeId: 'staged', kind: 'mcp-metadata', method: 'GET', path: '/.well-known/oauth-protected-resource/tools/mcp', guard: 'none' },
    ]);
  });
});
