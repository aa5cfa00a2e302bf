import { describe, expect, it } from 'vitest';
import { RouteMatcher, routeResourceArn } from '../../../functions/shared/route-matcher.js';
import type { RouteConfig } from '../../../functions/shared/config/config-schema.js';

const route = (id: string, method: string, path: string) => ({ id, method, path, upstream: 'https://u.example', acceptedIssuers: ['a'], requiredScopes: [] }) as unknown as RouteConfig;
const routes = [
  route('get-order', 'GET', '/orders/{id}'),
  route('any-order', 'ANY', '/orders/{id}'),
  route('health', 'GET', '/orders/health'),
  route('files', 'ANY', '/files/{proxy+}'),
  route('root', 'GET', '/'),
];
const matcher = new RouteMatcher({ routes });

describe('route matcher', () => {
  it('matches templates exactly, preferring the exact method over ANY', () => {
    expect(matcher.byTemplate('GET', '/orders/{id}')?.id).toBe('get-order');
    expect(matcher.byTemplate('delete', '/orders/{id}')?.id).toBe('any-order');
    expect(matcher.byTemplate('GET', '/orders/{orderId}')).toBeUndefined();
  });

  it('matches HTTP API route keys and ignores $default', () => {
    expect(matcher.byRouteKey('ANY /files/{proxy+}')?.id).toBe('files');
    expect(matcher.byRouteKey('GET /orders/health')?.id).toBe('health');
    expect(matcher.byRouteKey('$default')).toBeUndefined();
  });

  it('matches concrete paths the way API Gateway ranks them: literal, then parameter, then greedy', () => {
    expect(matcher.byPath('GET', '/orders/health')?.id).toBe('health');
    expect(matcher.byPath('GET', '/orders/42')?.id).toBe('get-order');
    expect(matcher.byPath('PUT', '/orders/42')?.id).toBe('any-order');
    expect(matcher.byPath('GET', '/files/a/b/c')?.id).toBe('files');
    expect(matcher.byPath('GET', '/files')).toBeUndefined();
    expect(matcher.byPath('GET', '/orders/42/items')).toBeUndefined();
    expect(matcher.byPath('GET', '/')?.id).toBe('root');
  });

  it('scopes a policy resource to the route, with parameters as wildcards', () => {
    const prefix = 'arn:aws:execute-api:eu-west-1:123456789012:api/prod';
    expect(routeResourceArn(prefix, routes[0]!)).toBe(`${prefix}/GET/orders/*`);
    expect(routeResourceArn(prefix, routes[3]!)).toBe(`${prefix}/*/files/*`);
    expect(routeResourceArn(prefix, routes[4]!)).toBe(`${prefix}/GET/`);
  });
});
