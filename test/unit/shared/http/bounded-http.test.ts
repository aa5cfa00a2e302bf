import http from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedRequest, ConnectionPool, HttpRequestError, type BoundedRequest } from '../../../../functions/shared/http/bounded-http.js';
import { closedPort, startStalledListener } from '../../../support/stalled-listener.js';

let server: http.Server;
let origin: string;
let connections = 0;
const paths: string[] = [];

/** Each path is one behaviour of the server; the request body is echoed by /echo. */
const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void> = {
  '/echo': (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-twice': ['a', 'b'] });
    res.end(JSON.stringify({ method: req.method, contentLength: req.headers['content-length'] ?? null, body: body.toString() }));
  },
  '/silent': () => undefined,
  '/slow': (_req, res) => {
    setTimeout(() => res.end('late'), 150);
  },
  '/stalls-mid-body': (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
  },
  '/declares-too-much': (_req, res) => {
    res.writeHead(200, { 'content-length': '1000000' });
    res.write(Buffer.alloc(1024));
  },
  '/streams-too-much': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    for (let i = 0; i < 64; i++) res.write(Buffer.alloc(1024, 7));
    res.end();
  },
  '/cut-off': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"keys":');
    setTimeout(() => res.destroy(), 10);
  },
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: `${origin}/echo` });
    res.end();
  },
  '/head-of-large': (_req, res) => {
    res.writeHead(200, { 'content-length': '1000000' });
    res.end();
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      paths.push(path);
      (routes[path] ?? routes['/echo']!)(req, res, Buffer.concat(chunks));
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const bounds = { connectTimeoutMs: 500, timeoutMs: 1000, maxResponseBytes: 4096 };
const send = (url: string, overrides: Partial<BoundedRequest> = {}) => boundedRequest({ url, ...bounds, ...overrides });

async function failureOf(promise: Promise<unknown>): Promise<HttpRequestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpRequestError) return error;
    throw error;
  }
  throw new Error('expected an HttpRequestError, the request succeeded');
}

describe('boundedRequest answers', () => {
  it('sends the body with its Content-Length and returns status, headers, raw headers and body', async () => {
    const response = await send(`${origin}/echo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b&c=é' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.rawHeaders.filter((_, i, raw) => raw[i - 1]?.toLowerCase() === 'x-twice')).toEqual(['a', 'b']);
    expect(JSON.parse(response.body.toString())).toEqual({ method: 'POST', contentLength: '8', body: 'a=b&c=é' });
  });

  it('sends no Content-Length for a request without a body', async () => {
    const response = await send(`${origin}/echo`);
    expect(JSON.parse(response.body.toString())).toMatchObject({ method: 'GET', contentLength: null });
  });

  it('returns a 3xx as it is and never follows it', async () => {
    paths.length = 0;
    const response = await send(`${origin}/redirect`);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`${origin}/echo`);
    expect(paths).toEqual(['/redirect']);
  });

  it('does not hold a HEAD answer to its Content-Length, which sizes a GET', async () => {
    const response = await send(`${origin}/head-of-large`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(0);
  });
});

describe('boundedRequest bounds', () => {
  it('ends a TCP connect that does not complete within the connect timeout (connect_timeout)', async () => {
    const stalled = await startStalledListener();
    try {
      const started = Date.now();
      const failure = await failureOf(send(`http://127.0.0.1:${stalled.port}/token`, { connectTimeoutMs: 150, timeoutMs: 5000 }));
      expect(failure.kind).toBe('connect_timeout');
      expect(failure.message).toBe(`could not connect to http://127.0.0.1:${stalled.port}/token within 150 ms`);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      stalled.close();
    }
  });

  describe('with a server that accepts TCP and never answers the TLS handshake', () => {
    let tcp: TcpServer;
    let port: number;
    const accepted: Socket[] = [];
    beforeAll(async () => {
      tcp = createTcpServer((socket) => {
        accepted.push(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
      port = (tcp.address() as AddressInfo).port;
    });
    afterAll(async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    });

    it('counts the handshake in the connect timeout (connect_timeout, not the deadline)', async () => {
      const started = Date.now();
      const failure = await failureOf(send(`https://127.0.0.1:${port}/jwks`, { connectTimeoutMs: 150, timeoutMs: 5000 }));
      expect(accepted.length).toBeGreaterThan(0);
      expect(failure.kind).toBe('connect_timeout');
      expect(failure.message).toMatch(/^could not connect to https:\/\/127\.0\.0\.1:\d+\/jwks within 150 ms$/);
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });

  it('ends an attempt with no answer by its deadline (timeout)', async () => {
    const started = Date.now();
    const failure = await failureOf(send(`${origin}/silent`, { timeoutMs: 200 }));
    expect(failure.kind).toBe('timeout');
    expect(failure.message).toBe(`no complete answer from ${origin}/silent within 200 ms`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('keeps the deadline while the body is read: a body that stalls half way is a timeout', async () => {
    expect((await failureOf(send(`${origin}/stalls-mid-body`, { timeoutMs: 200 }))).kind).toBe('timeout');
  });

  it('refuses an answer that declares more than the cap without waiting for it (too_large)', async () => {
    const started = Date.now();
    const failure = await failureOf(send(`${origin}/declares-too-much`, { timeoutMs: 5000 }));
    expect(failure.kind).toBe('too_large');
    expect(failure.message).toBe(`answer from ${origin}/declares-too-much exceeds 4096 bytes (declares 1000000)`);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a streamed answer once it grows past the cap (too_large)', async () => {
    const failure = await failureOf(send(`${origin}/streams-too-much`));
    expect(failure.kind).toBe('too_large');
    expect(failure.message).toBe(`answer from ${origin}/streams-too-much exceeds 4096 bytes`);
  });

  it('refuses an answer cut off before its declared length (cut_off)', async () => {
    const failure = await failureOf(send(`${origin}/cut-off`));
    expect(failure.kind).toBe('cut_off');
  });

  it('reports a refused connection as a network failure naming the error code', async () => {
    const port = await closedPort();
    const failure = await failureOf(send(`http://127.0.0.1:${port}/introspect`));
    expect(failure.kind).toBe('network');
    expect(failure.message).toBe(`request to http://127.0.0.1:${port}/introspect failed (ECONNREFUSED)`);
    expect(failure.staleConnection).toBe(false);
  });

  it('reports a request node:http refuses to send as a network failure, and leaves no timer behind', async () => {
    const failure = await failureOf(send(`${origin}/echo`, { headers: { 'x-bad': 'line\nbreak' }, timeoutMs: 50 }));
    expect(failure.kind).toBe('network');
    expect(failure.message).toBe(`request to ${origin}/echo could not be sent (ERR_INVALID_CHAR)`);
    // The deadline timer of a request that was never sent must not fire on a request that does not exist.
    await new Promise((resolve) => setTimeout(resolve, 100));
  });

  it('names scheme, host and path in its messages, never the query or user information', async () => {
    const port = await closedPort();
    const failure = await failureOf(send(`http://gateway:hidden-password@127.0.0.1:${port}/token?code=hidden-value`));
    expect(failure.message).toContain(`http://127.0.0.1:${port}/token`);
    expect(failure.message).not.toMatch(/hidden|gateway|\?/);
  });

  it('names the destination as the caller asks when the path is not its own to log', async () => {
    const failure = await failureOf(send(`${origin}/silent`, { timeoutMs: 50, target: origin }));
    expect(failure.message).toBe(`no complete answer from ${origin} within 50 ms`);
  });
});

describe('the keep-alive pool', () => {
  it('reuses one connection across sequential requests', async () => {
    const pool = new ConnectionPool();
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await send(`${origin}/echo`, { pool })).status).toBe(200);
    expect(connections - before).toBe(1);
    pool.destroy();
  });

  it('starts no connect timer on a reused socket, which is already connected', async () => {
    const pool = new ConnectionPool();
    await send(`${origin}/echo`, { pool });
    // A connect timer on the reused socket would wait for a 'connect' that never comes, and end this answer at 50 ms.
    const response = await send(`${origin}/slow`, { pool, connectTimeoutMs: 50 });
    expect(response.body.toString()).toBe('late');
    pool.destroy();
  });

  it('drops the socket of a failed answer instead of reusing it', async () => {
    const pool = new ConnectionPool();
    await send(`${origin}/echo`, { pool });
    const before = connections;
    await failureOf(send(`${origin}/declares-too-much`, { pool }));
    expect((await send(`${origin}/echo`, { pool })).status).toBe(200);
    expect(connections - before).toBe(1);
    pool.destroy();
  });

  it('opens new connections after destroy', async () => {
    const pool = new ConnectionPool();
    await send(`${origin}/echo`, { pool });
    pool.destroy();
    const before = connections;
    expect((await send(`${origin}/echo`, { pool })).status).toBe(200);
    expect(connections - before).toBe(1);
    pool.destroy();
  });

  describe('when the server has closed an idle connection', () => {
    let resetting: TcpServer;
    let port: number;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Answers the first request of each connection, then resets it on the next one.
      resetting = createTcpServer((socket) => {
        sockets.push(socket);
        let answered = false;
        socket.on('data', () => {
          if (answered) socket.resetAndDestroy();
          else {
            answered = true;
            socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
          }
        });
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
      port = (resetting.address() as AddressInfo).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => resetting.close(() => resolve()));
    });

    it('marks the failure of the reused socket as a stale connection, which the caller may replay', async () => {
      const pool = new ConnectionPool();
      await send(`http://127.0.0.1:${port}/`, { pool });
      const failure = await failureOf(send(`http://127.0.0.1:${port}/`, { pool }));
      expect(failure.kind).toBe('network');
      expect(failure.staleConnection).toBe(true);
      pool.destroy();
    });
  });
});
