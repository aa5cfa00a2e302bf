import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../functions/shared/config/config-validator.js';
import { routeResourceArn } from '../../../../functions/shared/route-matcher.js';
import { evaluatePolicy } from '../../../../scripts/local/execute-api-policy.js';

const PREFIX = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod';
const policy = (...statements: { Effect: string; Resource: string | string[]; Action?: string | string[] }[]) => ({
  Version: '2012-10-17',
  Statement: statements.map((s) => ({ Action: 'execute-api:Invoke', ...s })),
});

describe('REST authorizer policy evaluation', () => {
  it('allows a method ARN an Allow statement covers, with wildcards', () => {
    expect(evaluatePolicy(policy({ Effect: 'Allow', Resource: `${PREFIX}/GET/orders/*` }), `${PREFIX}/GET/orders/42`)).toBe('allow');
    expect(evaluatePolicy(policy({ Effect: 'Allow', Resource: [`${PREFIX}/POST/x`, `${PREFIX}/*/*`] }), `${PREFIX}/GET/a/b`)).toBe('allow');
    expect(evaluatePolicy(policy({ Effect: 'Allow', Resource: `${PREFIX}/GET/order?/1` }), `${PREFIX}/GET/orders/1`)).toBe('allow');
  });

  it('lets an explicit Deny win over an Allow', () => {
    const document = policy({ Effect: 'Allow', Resource: `${PREFIX}/*` }, { Effect: 'Deny', Resource: `${PREFIX}/GET/orders/*` });
    expect(evaluatePolicy(document, `${PREFIX}/GET/orders/1`)).toBe('explicit-deny');
  });

  it('denies implicitly what no statement covers, including another method or action', () => {
    expect(evaluatePolicy(policy({ Effect: 'Allow', Resource: `${PREFIX}/GET/orders/*` }), `${PREFIX}/POST/orders/1`)).toBe('implicit-deny');
    expect(evaluatePolicy(policy({ Effect: 'Allow', Resource: `${PREFIX}/*`, Action: 's3:GetObject' }), `${PREFIX}/GET/x`)).toBe('implicit-deny');
  });

  it('calls a malformed document invalid', () => {
    expect(evaluatePolicy(undefined, `${PREFIX}/GET/x`)).toBe('invalid');
    expect(evaluatePolicy({ Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }, `${PREFIX}/GET/x`)).toBe('invalid');
    expect(evaluatePolicy({ Statement: [{ Effect: 'Allow', Resource: '*' }] }, `${PREFIX}/GET/x`)).toBe('invalid');
  });

  it("keeps the authorizer's route-scoped Allow to its own route, as a cached policy must", () => {
    const config = parseConfig({
      version: 1,
      issuers: { p: { issuer: 'https://p.example', jwksUri: 'https://p.example/jwks' } },
      routes: [
        { id: 'orders', method: 'GET', path: '/orders/{id}', upstream: 'https://u.example', acceptedIssuers: ['p'] },
        { id: 'files', method: 'ANY', path: '/files/{proxy+}', upstream: 'https://u.example', acceptedIssuers: ['p'] },
      ],
    });
    const [orders, files] = config.routes;
    const allowOrders = policy({ Effect: 'Allow', Resource: routeResourceArn(PREFIX, orders!) });
    expect(evaluatePolicy(allowOrders, `${PREFIX}/GET/orders/42`)).toBe('allow');
    expect(evaluatePolicy(allowOrders, `${PREFIX}/GET/files/a`)).toBe('implicit-deny');
    expect(evaluatePolicy(policy({ Effect: 'Allow', Resource: routeResourceArn(PREFIX, files!) }), `${PREFIX}/DELETE/files/a/b`)).toBe('allow');
  });
});
