import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/shared/config/config-validator.js';
import { acknowledgementsOf, buildApp, repositoryRoot } from './support/gatepass-synth.js';

type Config = {
  issuers: Record<string, unknown>;
  routes: Record<string, unknown>[];
  [key: string]: unknown;
};

const example = (): Config => JSON.parse(readFileSync(join(repositoryRoot, 'infra/gatepass.config.example.json'), 'utf8')) as Config;
const scratch = mkdtempSync(join(tmpdir(), 'gatepass-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function configFile(name: string, edit: (config: Config) => void): string {
  const config = example();
  edit(config);
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function synthError(context: Record<string, unknown>): ConfigError {
  try {
    buildApp(context);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the app to refuse the configuration');
}

describe('synth with a bad configuration', () => {
  it('fails on a route that accepts an unknown issuer, naming the field', () => {
    const file = configFile('unknown-issuer', (c) => c.routes[0]!['acceptedIssuers'] = ['partner', 'nobody']);
    const error = synthError({ 'gatepass:config': file });
    expect(error.issues).toEqual([{ path: 'routes[0].acceptedIssuers[1]', message: 'unknown issuer "nobody"' }]);
    expect(error.message).toContain('routes[0].acceptedIssuers[1]: unknown issuer "nobody"');
  });

  it('fails on an http URL, naming the field', () => {
    const file = configFile('http-url', (c) => (c.routes[1]!['upstream'] = 'http://orders.internal.example'));
    const error = synthError({ 'gatepass:config': file });
    expect(error.issues.map((i) => i.path)).toEqual(['routes[1].upstream']);
    expect(error.message).toMatch(/routes\[1\]\.upstream: must use https/);
  });

  it('fails on a duplicate route, naming the fields', () => {
    const file = configFile('duplicate-route', (c) => c.routes.push({ ...c.routes[1]! }));
    const error = synthError({ 'gatepass:config': file });
    expect(error.issues.map((i) => i.path)).toEqual(['routes[3].id', 'routes[3].path']);
  });

  it('reports every problem of a document at once', () => {
    const file = configFile('many', (c) => {
      c.routes[0]!['acceptedIssuers'] = ['nobody'];
      c.routes[1]!['upstream'] = 'http://orders.internal.example';
      c['version'] = 2;
    });
    expect(synthError({ 'gatepass:config': file }).issues.map((i) => i.path)).toEqual([
      'version',
      'routes[0].acceptedIssuers[0]',
      'routes[1].upstream',
    ]);
  });

  it('fails on a configuration file that does not exist', () => {
    const error = synthError({ 'gatepass:config': join(scratch, 'missing.json') });
    expect(error.issues[0]!.message).toMatch(/cannot read .*missing\.json: ENOENT/);
  });

  it('fails on REST routes that put two variable names at one level, before bundling anything', () => {
    const file = configFile('rest-siblings', (c) =>
      c.routes.push({ id: 'order-items', method: 'GET', path: '/orders/{orderId}/items', upstream: 'https://orders.internal.example', acceptedIssuers: ['corp'] }),
    );
    const error = synthError({ 'gatepass:config': file, 'gatepass:apiType': 'rest' });
    expect(error.issues).toEqual([
      {
        path: 'routes[3].path',
        message: 'REST APIs allow one variable part per level: "{orderId}" conflicts with "{id}" of routes[0] under "/orders"',
      },
    ]);
  });

  it('fails on a cors block the HTTP API cannot honour, before bundling anything (issue #13 point 4)', () => {
    const file = configFile('http-cors', (c) => (c.routes[2]!['cors'] = { allowOrigins: ['https://app.example.com'] }));
    expect(synthError({ 'gatepass:config': file }).issues.map((i) => i.path)).toEqual(['routes[2].cors']);
  });

  it('fails on bad deployment settings, naming each context key', () => {
    const error = synthError({ 'gatepass:apiType': 'soap', 'gatepass:authorizerCacheTtlSeconds': '-1', 'gatepass:logRetentionDays': 31 });
    expect(error.issues.map((i) => i.path)).toEqual([
      'context.gatepass:apiType',
      'context.gatepass:logRetentionDays',
      'context.gatepass:authorizerCacheTtlSeconds',
    ]);
  });

  it('refuses local-only settings at synth: insecureLoopbackHttp, loopback hosts (issue #13 point 2)', () => {
    const file = configFile('loopback', (c) => {
      c['insecureLoopbackHttp'] = true;
      c.routes[1]!['upstream'] = 'http://127.0.0.1:8080';
      c.routes[2]!['upstream'] = 'https://localhost:8443';
    });
    expect(synthError({ 'gatepass:config': file }).issues).toEqual([
      { path: 'insecureLoopbackHttp', message: 'is for local runs only: remove it (or set it to false) before deploying' },
      { path: 'routes[1].upstream', message: 'names a loopback host (127.0.0.1), which a deployed function cannot reach' },
      { path: 'routes[2].upstream', message: 'names a loopback host (localhost), which a deployed function cannot reach' },
    ]);
  });

  it('refuses an https loopback URL in every URL field, the authorization server jwksUri and an MCP resource included', () => {
    const file = configFile('loopback-https', (c) => {
      const servers = c['authorizationServers'] as Record<string, Record<string, unknown>>;
      servers[Object.keys(servers)[0]!]!['jwksUri'] = 'https://localhost:8443/jwks';
      c.routes[1]!['mcp'] = { resource: `https://127.0.0.1:8443${c.routes[1]!['path'] as string}` };
    });
    expect(synthError({ 'gatepass:config': file }).issues).toEqual([
      { path: `authorizationServers.${Object.keys(example()['authorizationServers'] as object)[0]!}.jwksUri`, message: 'names a loopback host (localhost), which a deployed function cannot reach' },
      { path: 'routes[1].mcp.resource', message: 'names a loopback host (127.0.0.1), which a deployed function cannot reach' },
    ]);
  });

  it('refuses a secret ARN without its suffix at synth, before any IAM policy names it (issue #13 point 2)', () => {
    const file = configFile('arn', (c) => {
      (c['authorizationServers'] as Record<string, Record<string, unknown>>)['corp']!['clientSecretId'] = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatepass/corp-exchange';
    });
    expect(synthError({ 'gatepass:config': file }).issues.map((i) => i.path)).toEqual(['authorizationServers.corp.clientSecretId']);
  });

  it('`cdk synth -c gatepass:confg=x.json` fails naming gatepass:config, and synthesizes nothing (issue #13 point 2)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'gatepass-cdk-'));
    try {
      const run = spawnSync(join(repositoryRoot, 'node_modules/.bin/cdk'), ['synth', '--no-notices', '--quiet', '--output', outdir, '-c', 'gatepass:confg=x.json'], {
        cwd: repositoryRoot,
        encoding: 'utf8',
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_EC2_METADATA_DISABLED: 'true' },
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('context.gatepass:confg: unknown gatepass context key: did you mean gatepass:config?');
      expect(run.stderr).toContain('context.gatepass:config: is required');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('prints the configuration file it used and a one-line summary, on stderr, and says when it is the example (issue #13 point 2)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'gatepass-cdk-'));
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
        cwd: repositoryRoot,
        encoding: 'utf8',
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ 'gatepass:config': 'infra/gatepass.config.example.json' }), CDK_OUTDIR: outdir },
      });
      expect(run.status).toBe(0);
      expect(run.stderr).toContain(
        'gatepass: configuration infra/gatepass.config.example.json: 3 route(s) (1 exchanging), 3 issuer(s) [partner, corp, legacy], 1 authorization server(s) [corp]',
      );
      expect(run.stderr).toContain('gatepass: this is the example configuration');
      expect(run.stdout).not.toContain('gatepass:');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    // A whole synth in a child process, both bundles built: about 10 s alone, over 20 s on a loaded CI machine.
  }, 60_000);

  it('makes the CDK app print the field paths and exit 1, without a stack trace', () => {
    const file = configFile('cli', (c) => {
      c.routes[0]!['acceptedIssuers'] = ['nobody'];
      c.routes[2]!['upstream'] = 'http://reports.internal.example';
    });
    const outdir = mkdtempSync(join(tmpdir(), 'gatepass-cdk-'));
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
        cwd: repositoryRoot,
        encoding: 'utf8',
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ 'gatepass:config': file }), CDK_OUTDIR: outdir },
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`invalid gatepass configuration file ${file}:`);
      expect(run.stderr).toContain('routes[0].acceptedIssuers[0]: unknown issuer "nobody"');
      expect(run.stderr).toMatch(/routes\[2\]\.upstream: must use https/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('cdk-nag on the app', () => {
  it('runs the AWS Solutions checks on every stack: an unacknowledged finding fails synth', () => {
    const { app, state, outdir } = buildApp();
    try {
      new Secret(state, 'UnrotatedSecret');
      expect(() => app.synth()).toThrow(/GatepassState\/UnrotatedSecret[\s\S]*AwsSolutions-SMG4/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('acknowledges only the expected findings, each with a written reason', () => {
    const { app, outdir } = buildApp({ 'gatepass:apiType': 'rest', 'gatepass:tracing': true });
    try {
      const acknowledged = acknowledgementsOf(app);
      // CDK files an acknowledgement under a namespace ("Annotation::" for unqualified ids).
      expect([...acknowledged.keys()].map((id) => id.replace(/^[A-Za-z]+::/, '')).sort()).toEqual([
        'AwsSolutions-APIG2',
        'AwsSolutions-APIG3',
        'AwsSolutions-COG4',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:gatepass/corp-exchange-??????]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:gatepass/legacy-introspection-??????]',
        'AwsSolutions-SMG4',
      ]);
      for (const [id, places] of acknowledged) {
        for (const { reason } of places) expect(reason.length, id).toBeGreaterThan(60);
      }
      expect(acknowledged.get('Annotation::AwsSolutions-IAM5[Resource::*]')!.map((p) => p.path).sort()).toEqual([
        'GatepassApi/Functions/AuthorizerRole',
        'GatepassApi/Functions/ExchangeRole',
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
