import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const tsx = join(root, 'node_modules/.bin/tsx');
const script = join(root, 'scripts/config-check.ts');

describe('npm run config:check', () => {
  it('prints the summary and trust inventory of a valid file and exits 0', () => {
    const out = execFileSync(tsx, [script, join(root, 'infra/gatepass.config.example.json')], { encoding: 'utf8' });
    expect(out).toMatch(/^ok: 3 route\(s\) \(1 exchanging\), 3 issuer\(s\) \[partner, corp, legacy\], 1 authorization server\(s\) \[corp\]/);
    expect(out).toContain('orders-read: GET /orders/{id} <- [partner, corp] requires [orders:read]');
    expect(out).toContain('flow=federation owner=orders-team why="partner order lookups"');
  });

  it('prints every error with its field path and exits 1', () => {
    const doc = JSON.parse(readFileSync(join(root, 'infra/gatepass.config.example.json'), 'utf8'));
    doc.routes[0].method = 'GTE';
    doc.routes[0].exchange.authorizationServer = 'crop';
    const file = join(mkdtempSync(join(tmpdir(), 'gatepass-check-')), 'bad.json');
    writeFileSync(file, JSON.stringify(doc));
    const run = spawnSync(tsx, [script, file], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('routes[0].method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY');
    expect(run.stderr).toContain('routes[0].exchange.authorizationServer: unknown authorization server "crop"');
  });

  type Example = {
    insecureLoopbackHttp?: boolean;
    authorizationServers: Record<string, { clientSecretId: string }>;
    routes: Record<string, unknown>[];
  };
  const exampleWith = (edit: (doc: Example) => void): string => {
    const doc = JSON.parse(readFileSync(join(root, 'infra/gatepass.config.example.json'), 'utf8')) as Example;
    edit(doc);
    const file = join(mkdtempSync(join(tmpdir(), 'gatepass-check-')), 'config.json');
    writeFileSync(file, JSON.stringify(doc));
    return file;
  };

  it('lists the secrets to create before the first deploy: id, what it holds, which function reads it (issue #13 point 2)', () => {
    const out = execFileSync(tsx, [script, join(root, 'infra/gatepass.config.example.json')], { encoding: 'utf8' });
    expect(out).toContain('secrets to create before the first deploy (the cache key secret is created by the stack):');
    expect(out).toContain(
      '  gatepass/legacy-introspection: {"client_id": "…", "client_secret": "…"}, read by the authorizer function (issuers.legacy.introspection.clientSecretId)',
    );
    expect(out).toContain('  gatepass/corp-exchange: {"client_id": "…", "client_secret": "…"}, read by the exchange function (authorizationServers.corp.clientSecretId)');
  });

  it('lists each authorization server with its client authentication; a clientAuth "none" server has no secret to create', () => {
    const file = exampleWith((doc) => {
      (doc.authorizationServers as Record<string, unknown>)['sts'] = { issuer: 'https://sts.googleapis.com', tokenEndpoint: 'https://sts.googleapis.com/v1/token', clientAuth: 'none' };
    });
    const out = execFileSync(tsx, [script, file], { encoding: 'utf8' });
    expect(out).toContain('  corp: https://login.corp.example/oauth2/token (grant token-exchange, clientAuth client_secret_basic with gatepass/corp-exchange)');
    expect(out).toContain('  sts: https://sts.googleapis.com/v1/token (grant token-exchange, clientAuth none: authenticates no client, no secret)');
    const secrets = out.slice(out.indexOf('secrets to create'));
    expect(secrets).toContain('authorizationServers.corp.clientSecretId');
    expect(secrets).not.toContain('sts');
  });

  it('refuses a secret ARN without its suffix, with the fix (issue #13 point 2)', () => {
    const file = exampleWith((doc) => (doc.authorizationServers['corp']!.clientSecretId = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatepass/corp-exchange'));
    const run = spawnSync(tsx, [script, file], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('authorizationServers.corp.clientSecretId: a secret ARN must be the full ARN');
  });

  it('with --deploy refuses what synth refuses: insecureLoopbackHttp and loopback URLs; without it they are fine for local runs (issue #13 point 2)', () => {
    const file = exampleWith((doc) => {
      doc.insecureLoopbackHttp = true;
      doc.routes[1]!['upstream'] = 'http://127.0.0.1:8080';
    });
    expect(spawnSync(tsx, [script, file], { encoding: 'utf8' }).status).toBe(0);
    const run = spawnSync(tsx, [script, '--deploy', file], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`invalid gatepass configuration file ${file} for a deployment to an HTTP API:`);
    expect(run.stderr).toContain('insecureLoopbackHttp: is for local runs only');
    expect(run.stderr).toContain('routes[1].upstream: names a loopback host (127.0.0.1)');
  });

  it('with --rest reports what a REST synth refuses (issue #13 point 2)', () => {
    const file = exampleWith((doc) =>
      doc.routes.push({ id: 'items', method: 'GET', path: '/orders/{orderId}/items', upstream: 'https://orders.internal.example', acceptedIssuers: ['corp'] }),
    );
    expect(spawnSync(tsx, [script, file], { encoding: 'utf8' }).status).toBe(0);
    const run = spawnSync(tsx, [script, '--rest', file], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('routes[3].path: REST APIs allow one variable part per level: "{orderId}" conflicts with "{id}" of routes[0] under "/orders"');
  });

  it('reports the cors blocks each API type refuses: HTTP with --deploy, REST with --rest (issue #13 point 4)', () => {
    const cors = { allowOrigins: ['https://app.example.com'] };
    const file = exampleWith((doc) => {
      doc.routes[2]!['cors'] = cors; // ANY /reports/{proxy+}: fine on REST, refused on HTTP
    });
    expect(spawnSync(tsx, [script, file], { encoding: 'utf8' }).status).toBe(0);
    expect(spawnSync(tsx, [script, '--rest', file], { encoding: 'utf8' }).status).toBe(0);
    const http = spawnSync(tsx, [script, '--deploy', file], { encoding: 'utf8' });
    expect(http.status).toBe(1);
    expect(http.stderr).toContain(`invalid gatepass configuration file ${file} for a deployment to an HTTP API:`);
    expect(http.stderr).toContain('routes[2].cors: an HTTP API hands an ANY route the OPTIONS preflight');
  });

  const mcpFixture = join(root, 'test/infra/fixtures/mcp.gatepass.json');

  it('lists each MCP route with its guard, its public metadata route and the metadata URL, and warns of nothing without --rest (issue #12 point 4)', () => {
    const run = spawnSync(tsx, [script, mcpFixture], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('MCP routes (docs/deploy.md "MCP routes"):');
    expect(run.stdout).toContain('  mcp: ANY /mcp resource=https://api.example.com/mcp guard=function (the exchange function itself, no API Gateway authorizer)');
    expect(run.stdout).toContain(
      '    metadata: GET /.well-known/oauth-protected-resource/mcp guard=none (public, no token) at https://api.example.com/.well-known/oauth-protected-resource/mcp',
    );
    expect(run.stdout).toContain('  legacy-tools: POST /tools/mcp resource=https://api.example.com/tools/mcp guard=function');
    expect(run.stderr).not.toContain('on a REST API');
    // The exchange function introspects the MCP route's tokens itself, so it reads that secret too.
    expect(run.stdout).toContain(
      '  gatepass/legacy-introspection: {"client_id": "…", "client_secret": "…"}, read by the exchange function (issuers.legacy.introspection.clientSecretId, for MCP routes)',
    );
    const withoutMcp = execFileSync(tsx, [script, join(root, 'infra/gatepass.config.example.json')], { encoding: 'utf8' });
    expect(withoutMcp).not.toContain('MCP routes');
  });

  it('with --rest warns, without failing, that a REST API renames the challenge and discovery relies on the well-known URL (issue #12 point 4)', () => {
    const run = spawnSync(tsx, [script, '--rest', mcpFixture], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      '  routes[3].mcp: route mcp is an MCP route on a REST API: API Gateway renames the WWW-Authenticate challenge the exchange function sends to ' +
        'x-amzn-Remapped-WWW-Authenticate, so MCP clients find the metadata only by probing https://api.example.com/.well-known/oauth-protected-resource/mcp; ' +
        'it reaches the metadata route only on a custom domain whose API mapping has an empty base path',
    );
    expect(run.stderr).toContain('  routes[4].mcp: route legacy-tools is an MCP route on a REST API');
  });

  it('with --rest says when the well-known probe misses the metadata route because the resource has a base path (issue #12 point 4)', () => {
    const doc = JSON.parse(readFileSync(mcpFixture, 'utf8')) as { routes: { mcp?: { resource: string } }[] };
    doc.routes[3]!.mcp!.resource = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/mcp';
    const file = join(mkdtempSync(join(tmpdir(), 'gatepass-check-')), 'config.json');
    writeFileSync(file, JSON.stringify(doc));
    const run = spawnSync(tsx, [script, '--rest', file], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('at https://abc123.execute-api.eu-west-1.amazonaws.com/prod/.well-known/oauth-protected-resource/mcp');
    expect(run.stderr).toContain(
      'probing https://abc123.execute-api.eu-west-1.amazonaws.com/.well-known/oauth-protected-resource/prod/mcp, which misses the metadata route at ' +
        'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/.well-known/oauth-protected-resource/mcp (the base path "/prod" of the resource',
    );
  });

  it('prints warnings on stderr and still exits 0: here the example corporate issuer, which has neither audiences nor tokenTypes (issue #11 point 6)', () => {
    const file = exampleWith((doc) => {
      const orders = doc.routes[0]!['exchange'] as Record<string, unknown>;
      orders['actor'] = { source: 'header', header: 'Authorization' };
    });
    const run = spawnSync(tsx, [script, file], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ok: /);
    expect(run.stderr).toContain('warnings (valid, but likely not what was meant):\n  issuers.corp: has neither audiences nor tokenTypes');
    expect(run.stderr).toContain("  routes[0].exchange.actor.header: names Authorization, the header that carries the caller's own token");
  });

  it('answers --help with the flags, and refuses an unknown one with exit 2', () => {
    const help = spawnSync(tsx, [script, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--deploy');
    expect(help.stdout).toContain('--rest');
    expect(spawnSync(tsx, [script, '--deploi', 'x.json'], { encoding: 'utf8' }).status).toBe(2);
  });
});
