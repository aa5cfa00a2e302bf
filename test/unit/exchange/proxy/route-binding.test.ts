import { describe, expect, it } from 'vitest';
import { RouteBinding } from '../../../../functions/exchange/proxy/route-binding.js';
import type { RouteConfig } from '../../../../functions/shared/config/config-schema.js';
import { GatepassError } from '../../../../functions/shared/errors.js';

const routes = [
  { id: 'orders-read', method: 'GET', path: '/orders/{id}', upstream: 'https://orders.example', acceptedIssuers: ['partner'], requiredScopes: [] },
  { id: 'reports', method: 'ANY', path: '/reports/{proxy+}', upstream: 'https://reports.example', acceptedIssuers: ['partner'], requiredScopes: [] },
] as RouteConfig[];

const binding = new RouteBinding({ routes });
const request = (route: string, method: string, resource: string) => ({
  authorizer: { route } as never,
  method,
  resource,
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as GatepassError).code;
  }
}

describe('binding a request to its configured route', () => {
  it('returns the route the authorizer named when API Gateway invoked that route', () => {
    expect(binding.routeOf(request('orders-read', 'GET', '/orders/{id}')).upstream).toBe('https://orders.example');
    expect(binding.routeOf(request('reports', 'DELETE', '/reports/{proxy+}')).id).toBe('reports');
  });

  it('refuses a context naming a route the configuration does not define', () => {
    expect(codeOf(() => binding.routeOf(request('ghost', 'GET', '/orders/{id}')))).toBe('gateway_misconfigured');
  });

  it('refuses a context made for another route, as a cached authorizer result would be', () => {
    expect(codeOf(() => binding.routeOf(request('orders-read', 'GET', '/reports/{proxy+}')))).toBe('gateway_misconfigured');
  });

  it('refuses a method the route does not serve', () => {
    expect(codeOf(() => binding.routeOf(request('orders-read', 'POST', '/orders/{id}')))).toBe('gateway_misconfigured');
  });

  it('refuses the HTTP API $default route, which no gatepass route describes', () => {
    expect(codeOf(() => binding.routeOf(request('orders-read', 'GET', '')))).toBe('gateway_misconfigured');
  });
});
