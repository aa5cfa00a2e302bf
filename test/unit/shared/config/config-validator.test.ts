import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig, parseConfig, ConfigError } from '../../../../functions/shared/config/config-validator.js';
import { loadConfigFromEnv } from '../../../../functions/shared/config/config-loader.js';

const example = JSON.parse(readFileSync(new URL('../../../../infra/gatepass.config.example.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function minimal(overrides: Record<string, unknown> = {}) {
  return {
    version: 1,
    issuers: { partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks' } },
    authorizationServers: {
      corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId: 'gatepass/corp' },
    },
    routes: [{ id: 'r1', method: 'GET', path: '/orders/{id}', upstream: 'https://orders.example', acceptedIssuers: ['partner'] }],
    ...overrides,
  };
}

function issuesOf(document: unknown): string[] {
  const result = validateConfig(document);
  if (result.ok) return [];
  return result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('configuration schema', () => {
  it('accepts infra/gatepass.config.example.json, the file the README checks with config:check', () => {
    expect(issuesOf(example)).toEqual([]);
  });

  it('fills every documented default', () => {
    const result = validateConfig(minimal());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config.insecureLoopbackHttp).toBe(false);
    expect(config.settings.clockSkewSeconds).toBe(30);
    expect(config.settings.maxTokenLength).toBe(8192);
    expect(config.settings.jwks).toEqual({ fetchTimeoutMs: 3000, maxBytes: 262144, maxKeys: 20, maxAgeSeconds: 900, penaltySeconds: 10 });
    expect(config.settings.verifiedTokenMemo).toEqual({ maxEntries: 2000, maxAgeSeconds: 300 });
    expect(config.settings.exchange.maxActDepth).toBe(1);
    expect(config.authorizationServers['corp']?.clientAuth).toBe('client_secret_basic');
    expect(config.issuers['partner']?.algorithms).toEqual(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);
    expect(config.routes[0]?.requiredScopes).toEqual([]);
  });

  it('returns a frozen configuration', () => {
    const config = parseConfig(minimal());
    expect(Object.isFrozen(config.routes[0])).toBe(true);
  });

  it('names an unknown authorization server with its field path', () => {
    const doc = minimal({
      routes: [
        { id: 'a', method: 'GET', path: '/a', upstream: 'https://a.example', acceptedIssuers: ['partner'] },
        { id: 'b', method: 'GET', path: '/b', upstream: 'https://b.example', acceptedIssuers: ['partner'] },
        { id: 'c', method: 'GET', path: '/c', upstream: 'https://c.example', acceptedIssuers: ['partner'], exchange: { authorizationServer: 'crop' } },
      ],
    });
    expect(issuesOf(doc)).toEqual(['routes[2].exchange.authorizationServer: unknown authorization server "crop"']);
  });

  it('lists every offending field in one pass, schema and cross references together', () => {
    const doc = minimal({
      issuers: { partner: { issuer: 'https://idp.partner.example', jwksUri: 'http://idp.partner.example/jwks', colour: 'red' } },
      routes: [
        { id: 'a', method: 'GTE', path: '/a', upstream: 'https://a.example', acceptedIssuers: ['partner', 'nobody'] },
        { id: 'a', method: 'GET', path: 'no-slash', upstream: 'https://a.example', acceptedIssuers: ['partner'], exchange: { authorizationServer: 'crop' } },
      ],
      settings: { clockSkewSeconds: 120 },
    });
    expect(issuesOf(doc)).toEqual(
      expect.arrayContaining([
        'issuers.partner.colour: unknown field',
        'routes[0].method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY',
        'routes[1].path: must be an API Gateway path such as /orders/{id} or /files/{proxy+}',
        'settings.clockSkewSeconds: must be at most 60 (got 120)',
        'issuers.partner.jwksUri: must use https (http is allowed only for loopback hosts with insecureLoopbackHttp)',
        'routes[0].acceptedIssuers[1]: unknown issuer "nobody"',
        'routes[1].id: duplicates the id of routes[0]',
        'routes[1].exchange.authorizationServer: unknown authorization server "crop"',
      ]),
    );
  });

  it('refuses the HTTP API $default route at configuration time, saying what to configure instead (issue #16 point 5)', () => {
    const doc = minimal({ routes: [{ id: 'catch-all', method: 'ANY', path: '$default', upstream: 'https://a.example', acceptedIssuers: ['partner'] }] });
    expect(issuesOf(doc)).toEqual([
      'routes[0].path: the HTTP API "$default" route is not supported: gatepass protects explicit routes; use path "/{proxy+}" with method ANY to catch every path (a request to "/" needs a route of its own)',
    ]);
  });

  it('refuses http URLs, even on loopback, unless insecureLoopbackHttp is set', () => {
    const loopback = minimal({ issuers: { partner: { issuer: 'http://127.0.0.1:9000', jwksUri: 'http://127.0.0.1:9000/jwks' } } });
    expect(issuesOf(loopback)).toEqual([
      'issuers.partner.issuer: must use https (set insecureLoopbackHttp: true to allow http on loopback for local runs)',
      'issuers.partner.jwksUri: must use https (set insecureLoopbackHttp: true to allow http on loopback for local runs)',
    ]);
    expect(issuesOf({ ...loopback, insecureLoopbackHttp: true })).toEqual([]);
    const lookAlike = minimal({
      insecureLoopbackHttp: true,
      issuers: { partner: { issuer: 'http://127.0.0.1.evil.example', jwksUri: 'http://169.254.169.254/jwks' } },
    });
    expect(issuesOf(lookAlike)).toEqual([
      'issuers.partner.issuer: must use https (http is allowed only for loopback hosts with insecureLoopbackHttp)',
      'issuers.partner.jwksUri: must use https (http is allowed only for loopback hosts with insecureLoopbackHttp)',
    ]);
  });

  it('refuses URLs that carry credentials or other schemes', () => {
    const doc = minimal({ issuers: { partner: { issuer: 'https://idp.example', jwksUri: 'https://user:pw@idp.example/jwks' } } });
    expect(issuesOf(doc)).toEqual(['issuers.partner.jwksUri: must not carry credentials']);
    const ftp = minimal({ issuers: { partner: { issuer: 'https://idp.example', jwksUri: 'ftp://idp.example/jwks' } } });
    expect(issuesOf(ftp)).toEqual(['issuers.partner.jwksUri: must use https']);
  });

  it('refuses duplicate routes, also when only parameter names differ', () => {
    const doc = minimal({
      routes: [
        { id: 'a', method: 'GET', path: '/orders/{id}', upstream: 'https://a.example', acceptedIssuers: ['partner'] },
        { id: 'b', method: 'GET', path: '/orders/{orderId}', upstream: 'https://a.example', acceptedIssuers: ['partner'] },
      ],
    });
    expect(issuesOf(doc)).toEqual(['routes[1].path: duplicates the method and path of routes[0]']);
  });

  it('requires a key source for each issuer and a header name for header actors', () => {
    const doc = minimal({
      issuers: { partner: { issuer: 'https://idp.example' } },
      routes: [
        {
          id: 'a', method: 'GET', path: '/a', upstream: 'https://a.example', acceptedIssuers: ['partner'],
          exchange: { authorizationServer: 'corp', actor: { source: 'header' } },
        },
      ],
    });
    expect(issuesOf(doc)).toEqual([
      'routes[0].exchange.actor.header: is required',
      'issuers.partner: needs jwksUri (JWT) or introspection (opaque tokens), or both',
    ]);
  });

  it('refuses a route that would send opaque tokens to two introspection endpoints', () => {
    const introspection = { endpoint: 'https://x.example/introspect', clientSecretId: 'gatepass/x' };
    const doc = minimal({
      issuers: {
        one: { issuer: 'https://one.example', introspection },
        two: { issuer: 'https://two.example', introspection: { ...introspection, endpoint: 'https://y.example/introspect' } },
      },
      routes: [{ id: 'a', method: 'GET', path: '/a', upstream: 'https://a.example', acceptedIssuers: ['one', 'two'] }],
    });
    expect(issuesOf(doc)).toEqual(['routes[0].acceptedIssuers: may accept at most one issuer that uses introspection']);
  });

  it('refuses a secret ARN without the 6-character suffix Secrets Manager adds, with the fix; accepts names and full ARNs (issue #13 point 2)', () => {
    const server = (clientSecretId: string) =>
      minimal({ authorizationServers: { corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId } } });
    const [issue] = issuesOf(server('arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatepass/corp'));
    expect(issue).toMatch(/^authorizationServers\.corp\.clientSecretId: a secret ARN must be the full ARN, ending in the "-" and 6 characters/);
    expect(issue).toContain('aws secretsmanager describe-secret --secret-id <name> --query ARN');
    expect(issuesOf(server('arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatepass/corp-AbCdEf'))).toEqual([]);
    expect(issuesOf(server('gatepass/corp'))).toEqual([]);
    expect(issuesOf(server('gatepass/corp-exchange'))).toEqual([]);
    const introspection = { endpoint: 'https://x.example/introspect', clientSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatepass/x' };
    expect(issuesOf(minimal({ issuers: { x: { issuer: 'https://x.example', introspection } } }))[0]).toMatch(/^issuers\.x\.introspection\.clientSecretId: a secret ARN must be/);
  });

  it('refuses symmetric or unknown algorithms and scope tokens with spaces', () => {
    const doc = minimal({
      issuers: { partner: { issuer: 'https://idp.example', jwksUri: 'https://idp.example/jwks', algorithms: ['HS256', 'none'] } },
      routes: [{ id: 'a', method: 'GET', path: '/a', upstream: 'https://a.example', acceptedIssuers: ['partner'], requiredScopes: ['a b'] }],
    });
    expect(issuesOf(doc)).toEqual([
      'issuers.partner.algorithms[0]: must be an asymmetric algorithm gatepass supports',
      'issuers.partner.algorithms[1]: must be an asymmetric algorithm gatepass supports',
      'routes[0].requiredScopes[0]: must be a scope token (RFC 6749 §3.3)',
    ]);
  });

  it('refuses a document that is not version 1, with the root-level problems named', () => {
    expect(issuesOf({ version: 2, issuers: {}, routes: [] })).toEqual([
      'version: must be 1',
      'issuers: must define at least one issuer',
      'routes: must define at least one route',
    ]);
    expect(issuesOf('nope')).toEqual(['(root): must be Object (got "nope")']);
  });
});

describe('configuration loading', () => {
  it('reads GATEPASS_CONFIG_FILE relative to the Lambda task root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatepass-config-'));
    writeFileSync(join(dir, 'gatepass.config.json'), JSON.stringify(minimal()));
    const config = loadConfigFromEnv({ GATEPASS_CONFIG_FILE: 'gatepass.config.json', LAMBDA_TASK_ROOT: dir });
    expect(config.routes[0]?.id).toBe('r1');
  });

  it('reads inline GATEPASS_CONFIG', () => {
    expect(loadConfigFromEnv({ GATEPASS_CONFIG: JSON.stringify(minimal()) }).version).toBe(1);
  });

  it('fails with a clear message when neither or both are set, or the JSON is broken', () => {
    expect(() => loadConfigFromEnv({})).toThrow(/set GATEPASS_CONFIG_FILE \(a path\) or GATEPASS_CONFIG/);
    expect(() => loadConfigFromEnv({ GATEPASS_CONFIG: '{}', GATEPASS_CONFIG_FILE: 'x' })).toThrow(/not both/);
    expect(() => loadConfigFromEnv({ GATEPASS_CONFIG: '{"version": 1,' })).toThrow(ConfigError);
    expect(() => loadConfigFromEnv({ GATEPASS_CONFIG_FILE: '/nonexistent/gatepass.json' })).toThrow(/cannot read \/nonexistent\/gatepass.json: ENOENT/);
  });
});
