import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../functions/shared/config/config-validator.js';
import { ErrorCode } from '../../../../functions/shared/errors.js';
import { isMcpRoute, type McpRoute } from '../../../../functions/shared/mcp/protected-resource.js';
import {
  isListenStreamRequest,
  mcpChallenge,
  McpRequestKind,
  McpRoutes,
  mcpRouteMethods,
  MethodNotAllowedError,
} from '../../../../functions/exchange/mcp/mcp-routes.js';
import { parseProxyShape } from '../../../../functions/exchange/proxy/proxy-event.js';
import { ExchangeService } from '../../../../functions/exchange/exchange-service.js';
import { proxyEventV1, proxyEventV2 } from '../../../support/proxy-events.js';

const config = parseConfig({
  version: 1,
  issuers: { corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks' } },
  routes: [
    { id: 'mcp', method: 'ANY', path: '/mcp', upstream: 'https://mcp.example', acceptedIssuers: ['corp'], requiredScopes: ['mcp:tools', 'mcp:read'], mcp: { resource: 'https://api.example.com/mcp' } },
    { id: 'posted', method: 'POST', path: '/tools', upstream: 'https://mcp.example', acceptedIssuers: ['corp'], mcp: { resource: 'https://api.example.com/prod/tools' } },
    { id: 'tools-read', method: 'GET', path: '/tools', upstream: 'https://tools.example', acceptedIssuers: ['corp'] },
    { id: 'orders', method: 'GET', path: '/orders/{id}', upstream: 'https://orders.example', acceptedIssuers: ['corp'] },
  ],
});
const mcp = config.routes[0] as McpRoute;
const posted = config.routes[1] as McpRoute;
const routes = new McpRoutes(config);

const shape = (format: 'v1' | 'v2', method: string, resource: string, headers: Record<string, string> = {}) =>
  parseProxyShape((format === 'v1' ? proxyEventV1 : proxyEventV2)({ method, resource, path: resource, headers }));

describe('McpRoutes: which requests the exchange function guards itself', () => {
  it.each(['v1', 'v2'] as const)('recognises the metadata route and the MCP route from the matched API route (%s)', (format) => {
    expect(routes.targetOf(shape(format, 'GET', '/.well-known/oauth-protected-resource/mcp'))).toEqual({ kind: McpRequestKind.Metadata, route: mcp });
    expect(routes.targetOf(shape(format, 'POST', '/mcp'))).toEqual({ kind: McpRequestKind.Resource, route: mcp });
    expect(routes.targetOf(shape(format, 'GET', '/orders/{id}'))).toBeUndefined();
  });

  it('leaves a route that shares an MCP route\'s path under another method to the authorizer', () => {
    expect(routes.targetOf(shape('v2', 'POST', '/tools'))?.route).toBe(posted);
    expect(routes.targetOf(shape('v2', 'GET', '/tools'))).toBeUndefined();
  });

  it('knows whether the configuration has MCP routes at all', () => {
    expect(routes.any).toBe(true);
    expect(new McpRoutes({ ...config, routes: config.routes.filter((r) => !isMcpRoute(r)) }).any).toBe(false);
  });
});

describe('mcpChallenge (RFC 6750 §3, RFC 9728 §5.1)', () => {
  const metadata = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"';

  it('names the metadata and the required scopes, without an error code when no token was presented', () => {
    expect(mcpChallenge(mcp, ErrorCode.TokenMissing)).toBe(`Bearer ${metadata}, scope="mcp:tools mcp:read"`);
  });

  it.each([ErrorCode.TokenInvalid, ErrorCode.TokenExpired, ErrorCode.AudienceNotAccepted, ErrorCode.IssuerNotAccepted, ErrorCode.TokenMalformed])('says invalid_token for %s', (code) => {
    expect(mcpChallenge(mcp, code)).toMatch(new RegExp(`^Bearer error="invalid_token", error_description="[^"]+", ${metadata.replace(/[./]/g, '\\$&')}, scope="mcp:tools mcp:read"$`));
  });

  it('says insufficient_scope with the scopes the route requires', () => {
    expect(mcpChallenge(mcp, ErrorCode.InsufficientScope)).toBe(`Bearer error="insufficient_scope", scope="mcp:tools mcp:read", error_description="The token lacks a scope this route requires", ${metadata}`);
  });

  it('keeps the API base path of the resource in the metadata URL, and leaves out an empty scope', () => {
    expect(mcpChallenge(posted, ErrorCode.TokenMissing)).toBe('Bearer resource_metadata="https://api.example.com/prod/.well-known/oauth-protected-resource/tools"');
  });

  it('has no challenge of its own for refusals that are not about the token', () => {
    expect(mcpChallenge(mcp, ErrorCode.ExchangeUnavailable)).toBeUndefined();
    expect(mcpChallenge(mcp, ErrorCode.ExchangeDenied)).toBeUndefined();
  });
});

describe('McpRoutes.metadataAnswer', () => {
  it('serves the document on GET and its headers alone on HEAD', () => {
    const get = routes.metadataAnswer(mcp, 'GET');
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body.toString())).toMatchObject({ resource: 'https://api.example.com/mcp', authorization_servers: ['https://login.corp.example'] });
    expect(routes.metadataAnswer(mcp, 'HEAD').body.length).toBe(0);
  });

  it('refuses other methods with 405 naming GET and HEAD', () => {
    expect(() => routes.metadataAnswer(mcp, 'PUT')).toThrow(MethodNotAllowedError);
    try {
      routes.metadataAnswer(mcp, 'DELETE');
    } catch (error) {
      expect((error as MethodNotAllowedError).allow).toEqual(['GET', 'HEAD']);
      expect((error as MethodNotAllowedError).code).toBe(ErrorCode.MethodNotAllowed);
    }
  });
});

describe('the listen stream (MCP transports, "Listening for Messages from the Server")', () => {
  it('is a GET that accepts text/event-stream', () => {
    expect(isListenStreamRequest(shape('v2', 'GET', '/mcp', { accept: 'text/event-stream' }))).toBe(true);
    expect(isListenStreamRequest(shape('v2', 'GET', '/mcp', { accept: 'application/json, text/event-stream;q=0.9' }))).toBe(true);
    expect(isListenStreamRequest(shape('v2', 'GET', '/mcp', { accept: 'application/json' }))).toBe(false);
    expect(isListenStreamRequest(shape('v2', 'POST', '/mcp', { accept: 'text/event-stream' }))).toBe(false);
  });

  it('leaves the methods the route allows in Allow', () => {
    expect(mcpRouteMethods(mcp)).toEqual(['POST', 'DELETE']);
    expect(mcpRouteMethods(posted)).toEqual(['POST']);
  });
});

describe('ExchangeService with MCP routes', () => {
  const unused = () => Promise.reject(new Error('not called'));
  const parts = {
    config,
    tokenClient: { exchange: unused },
    actors: { resolve: unused },
    cache: { getOrExchange: unused, evict: unused, flush: () => Promise.resolve() },
    forwarder: { forward: unused },
    audit: { record: () => undefined },
  };

  it('fails at init without a TokenValidation, instead of refusing every MCP request later', () => {
    expect(() => new ExchangeService(parts)).toThrow(/TokenValidation/);
    expect(() => new ExchangeService({ ...parts, validation: { validate: unused } })).not.toThrow();
    expect(() => new ExchangeService({ ...parts, config: { ...config, routes: config.routes.filter((r) => !isMcpRoute(r)) } })).not.toThrow();
  });
});
