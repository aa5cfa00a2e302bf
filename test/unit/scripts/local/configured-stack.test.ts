import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandInputError } from '../../../../scripts/command-line.js';
import { readSecretsFile } from '../../../../scripts/local/configured-stack.js';
import { PortInUseError, reservePort } from '../../../../scripts/local/port-reservation.js';

const dir = mkdtempSync(join(tmpdir(), 'gatepass-secrets-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('the --secrets file', () => {
  it('maps secret ids to strings, a JSON object value to its JSON text', () => {
    const path = file('ok.json', JSON.stringify({ 'corp/exchange': { client_id: 'gatepass', client_secret: 's' }, 'gatepass/cache-key': 'k'.repeat(40) }));
    expect(readSecretsFile(path)).toEqual({ 'corp/exchange': '{"client_id":"gatepass","client_secret":"s"}', 'gatepass/cache-key': 'k'.repeat(40) });
  });

  it('refuses a missing file, bad JSON, a non-object and a non-string value, each with a message of its own', () => {
    expect(() => readSecretsFile(join(dir, 'none.json'))).toThrow(/cannot read the secrets file .*none\.json: ENOENT/);
    expect(() => readSecretsFile(file('bad.json', '{'))).toThrow(/is not valid JSON/);
    expect(() => readSecretsFile(file('array.json', '["a"]'))).toThrow(/must be a JSON object of secret id → secret string/);
    expect(() => readSecretsFile(file('number.json', '{"id": 987654}'))).toThrow(CommandInputError);
    expect(() => readSecretsFile(file('number.json', '{"id": 987654}'))).not.toThrow(/987654/);
  });
  it('says where a file is not JSON without quoting its text, which holds the secrets', () => {
    const unquoted = file('unquoted.json', '{"corp/exchange": s3cr3t-client-secret}');
    expect(() => readSecretsFile(unquoted)).toThrow(CommandInputError);
    expect(() => readSecretsFile(unquoted)).toThrow(/is not valid JSON/);
    expect(() => readSecretsFile(unquoted)).not.toThrow(/s3cr3t/);
    expect(() => readSecretsFile(file('bare.json', 's3cr3t-client-secret'))).not.toThrow(/s3cr3t/);
  });
});

describe('port reservation', () => {
  it('holds a free port for 0, so the configuration can name it before the gateway listens', async () => {
    const reservation = await reservePort(0, 'gateway');
    expect(reservation.port).toBeGreaterThan(0);
    const rival = createServer();
    await expect(new Promise((resolve, reject) => rival.once('error', reject).listen(reservation.port, '127.0.0.1', () => resolve(undefined)))).rejects.toThrow(/EADDRINUSE/);
    await reservation.release();
    await expect(reservePort(reservation.port, 'gateway').then((again) => again.release())).resolves.toBeUndefined();
  });

  it('names the option to change when a fixed port is taken', async () => {
    const held = await reservePort(0, 'control');
    await expect(reservePort(held.port, 'control')).rejects.toBeInstanceOf(PortInUseError);
    await held.release();
  });
});
