import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../../functions/shared/config/config-schema.js';
import { restPathIssues } from '../../../infra/rest-api-paths.js';

const route = (path: string) => ({ id: path, method: 'GET', path }) as RouteConfig;

describe('REST API path check', () => {
  it('accepts routes that share a variable part of the same name', () => {
    expect(restPathIssues([route('/orders/{id}'), route('/orders/{id}/items'), route('/orders/health'), route('/')])).toEqual([]);
  });

  it('refuses two variable names under one parent, naming the later route', () => {
    expect(restPathIssues([route('/orders/{id}'), route('/orders/{orderId}/items')])).toEqual([
      {
        path: 'routes[1].path',
        message: 'REST APIs allow one variable part per level: "{orderId}" conflicts with "{id}" of routes[0] under "/orders"',
      },
    ]);
  });

  it('refuses a greedy variable beside a plain one at the same level', () => {
    expect(restPathIssues([route('/files/{name}'), route('/files/{proxy+}')]).map((i) => i.path)).toEqual(['routes[1].path']);
  });

  it('allows the same variable name at different levels', () => {
    expect(restPathIssues([route('/a/{id}'), route('/b/{other}')])).toEqual([]);
  });
});
