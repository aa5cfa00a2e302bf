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
});
