import { describe, expect, it } from 'vitest';
import type { GatepassConfigInput } from '../../../functions/shared/config/config-schema.js';
import { parseConfig } from '../../../functions/shared/config/config-validator.js';
import { configWarnings } from '../../../scripts/config-check-warnings.js';
import { demoConfig } from '../../../scripts/local/demo-config.js';

/** A configuration that draws no warning: each test breaks one thing. */
function document(): GatepassConfigInput & { issuers: Record<string, Record<string, unknown>>; routes: Record<string, unknown>[] } {
  return {
    version: 1,
    issuers: {
      partner: { issuer: 'https://idp.partner.example', jwksUri: 'https://idp.partner.example/jwks', audiences: ['https://api.example.com'] },
      corp: { issuer: 'https://login.corp.example', jwksUri: 'https://login.corp.example/jwks', tokenTypes: ['at+jwt'] },
      legacy: { issuer: 'https://sso.legacy.example', introspection: { endpoint: 'https://sso.legacy.example/introspect', clientSecretId: 'gatepass/legacy' } },
    },
    authorizationServers: {
      corp: { issuer: 'https://login.corp.example', tokenEndpoint: 'https://login.corp.example/token', clientSecretId: 'gatepass/corp' },
    },
    routes: [
      {
        id: 'orders',
        method: 'GET',
        path: '/orders/{id}',
        upstream: 'https://orders.internal.example',
        acceptedIssuers: ['partner', 'corp'],
        exchange: {
          authorizationServer: 'corp',
          scope: ['orders:read'],
          sameIssuerWhen: { hasScopes: ['orders:admin'] },
          actor: { source: 'header', header: 'x-actor-token' },
          requestedTokenType: 'urn:ietf:params:oauth:token-type:jwt',
        },
      },
      { id: 'reports', method: 'ANY', path: '/reports/{proxy+}', upstream: 'https://reports.internal.example', acceptedIssuers: ['legacy'] },
    ],
  };
}

const warningsOf = (doc: GatepassConfigInput) => configWarnings(parseConfig(doc, 'test'));
const exchangeOf = (doc: ReturnType<typeof document>) => doc.routes[0]!['exchange'] as Record<string, unknown>;

describe('config:check warnings', () => {
  it('are none for a configuration that scopes every issuer and uses each field as meant, nor for the local demo', () => {
    expect(warningsOf(document())).toEqual([]);
    const loopback = (port: number) => `http://127.0.0.1:${port}`;
    const demo = demoConfig({
      partner: { issuer: loopback(1), jwksUri: `${loopback(1)}/jwks` },
      corp: { issuer: loopback(2), jwksUri: `${loopback(2)}/jwks`, tokenEndpoint: `${loopback(3)}/token` },
      legacy: { issuer: loopback(4), introspectionEndpoint: `${loopback(4)}/introspect` },
      entra: { issuer: `${loopback(5)}/t/v2.0`, jwksUri: `${loopback(5)}/t/discovery/v2.0/keys`, tokenEndpoint: `${loopback(5)}/t/oauth2/v2.0/token` },
      upstream: loopback(6),
      gateway: loopback(7),
      mcpUpstream: loopback(8),
    });
    expect(configWarnings(demo)).toEqual([]);
  });

  it('name an issuer with neither audiences nor tokenTypes: its ID tokens and tokens for other APIs get in; not an introspection-only one', () => {
    const doc = document();
    delete doc.issuers['corp']!['tokenTypes'];
    expect(warningsOf(doc)).toEqual([
      {
        path: 'issuers.corp',
        message: expect.stringMatching(/^has neither audiences nor tokenTypes: any JWT .* ID tokens included\. Set audiences .* or tokenTypes .*\["at\+jwt"\]/),
      },
    ]);
    // The legacy issuer (introspection only) has neither too: its introspection answer decides.
    expect(warningsOf(doc).map((w) => w.path)).not.toContain('issuers.legacy');
    doc.issuers['legacy']!['jwksUri'] = 'https://sso.legacy.example/jwks';
    expect(warningsOf(doc).map((w) => w.path)).toEqual(['issuers.corp', 'issuers.legacy']);
  });

  it('name a sameIssuerWhen that can never hold: the authorization server has an issuer no issuers entry has (a trailing slash)', () => {
    const doc = document();
    (doc.authorizationServers!['corp'] as { issuer: string }).issuer = 'https://login.corp.example/';
    expect(warningsOf(doc)).toEqual([
      {
        path: 'routes[0].exchange.sameIssuerWhen',
        message: expect.stringMatching(
          /^can never hold: authorization server "corp" has issuer https:\/\/login\.corp\.example\/, which no entry of issuers has, .* every token is exchanged\. Make authorizationServers\.corp\.issuer the exact iss/,
        ),
      },
    ]);
  });

  it("name a sameIssuerWhen that can never hold because the route does not accept the server's own issuer", () => {
    const doc = document();
    doc.routes[0]!['acceptedIssuers'] = ['partner'];
    expect(warningsOf(doc)).toEqual([
      { path: 'routes[0].exchange.sameIssuerWhen', message: expect.stringMatching(/has the issuer of issuers\.corp, which this route does not accept.*Add "corp" to acceptedIssuers/) },
    ]);
  });

  it('name a requestedTokenType or subjectTokenType that is not a URI, with the URI it likely meant', () => {
    const doc = document();
    exchangeOf(doc)['requestedTokenType'] = 'access_token';
    exchangeOf(doc)['subjectTokenType'] = 'bearer';
    expect(warningsOf(doc)).toEqual([
      { path: 'routes[0].exchange.requestedTokenType', message: expect.stringMatching(/^"access_token" is not a URI: .*RFC 8693 §3.* Use urn:ietf:params:oauth:token-type:access_token$/) },
      { path: 'routes[0].exchange.subjectTokenType', message: expect.stringMatching(/^"bearer" is not a URI: .* Use one of RFC 8693 §3, such as urn:ietf:params:oauth:token-type:access_token$/) },
    ]);
  });

  it('take any URI as a token type, a provider-defined one included', () => {
    const doc = document();
    exchangeOf(doc)['subjectTokenType'] = 'urn:ietf:params:oauth:token-type:id_token';
    exchangeOf(doc)['requestedTokenType'] = 'https://auth0.com/custom-token-type';
    expect(warningsOf(doc)).toEqual([]);
  });

  it('name an actor header called Authorization, in any case: the caller would act for itself', () => {
    const doc = document();
    exchangeOf(doc)['actor'] = { source: 'header', header: 'AUTHORIZATION' };
    expect(warningsOf(doc)).toEqual([
      { path: 'routes[0].exchange.actor.header', message: expect.stringMatching(/^names Authorization, .* the actor token would be the subject token itself.* such as x-actor-token$/) },
    ]);
  });
});
