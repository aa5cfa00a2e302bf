import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHttpTransport, TransportFailure, type TransportRequest } from '../../../../functions/exchange/token-endpoint/token-endpoint-transport.js';

let server: http.Server;
let origin: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/truncated') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
        res.write('{"access_token":');
        setTimeout(() => res.destroy(), 10);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (transport: NodeHttpTransport, path: string, overrides: Partial<TransportRequest> = {}) =>
  transport.post({ url: new URL(`${origin}${path}`), headers: {}, body: 'a=b', connectTimeoutMs: 200, timeoutMs: 1000, maxResponseBytes: 1024, ...overrides });

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a transport failure');
    },
    (error: unknown) => error as TransportFailure,
  );

/** An agent whose connections never complete their handshake. */
class NeverConnectingAgent extends http.Agent {
  override createConnection(): Socket {
    const socket = new Socket();
    // A socket that looks mid-handshake: the transport's connect timer must end it.
    Object.defineProperty(socket, 'connecting', { value: true });
    return socket;
  }
}

describe('NodeHttpTransport', () => {
  it('posts a form and returns status, headers and body', async () => {
    const response = await post(new NodeHttpTransport(), '/token');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('{}');
  });

  it('ends a connection that does not complete within the connect timeout', async () => {
    const transport = new NodeHttpTransport({ httpAgent: new NeverConnectingAgent() });
    const started = Date.now();
    const failure = await failureOf(post(transport, '/token', { connectTimeoutMs: 100, timeoutMs: 2000 }));
    expect(failure).toBeInstanceOf(TransportFailure);
    expect(failure.kind).toBe('connect_timeout');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports an answer cut off before its declared length as a network failure', async () => {
    const failure = await failureOf(post(new NodeHttpTransport(), '/truncated'));
    expect(failure.kind).toBe('network');
  });

  it('names scheme, host and path in its messages, never the query', async () => {
    const transport = new NodeHttpTransport({ httpAgent: new NeverConnectingAgent() });
    const failure = await failureOf(post(transport, '/token?code=hidden-value', { connectTimeoutMs: 50 }));
    expect(failure.message).toContain(`${origin}/token`);
    expect(failure.message).not.toContain('hidden-value');
  });
});
