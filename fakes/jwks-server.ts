import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { closeServer } from './loopback-server.js';

export interface JwksBehaviour {
  /** Keys served at /jwks (default: none). */
  keys: JWK[];
  /** Override the whole /jwks answer (status, body, delay). */
  jwks?: { status?: number; body?: string; delayMs?: number; headers?: Record<string, string> };
  /** Answers /introspect; receives the form and the Authorization header. */
  introspect?: (form: URLSearchParams, authorization: string | undefined) => { status?: number; body: unknown; delayMs?: number };
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly body: string;
}

/**
 * An identity provider stand-in on 127.0.0.1: a JWKS endpoint and an RFC 7662
 * introspection endpoint whose answers tests script, with every request recorded.
 */
export class JwksServer {
  readonly requests: RecordedRequest[] = [];
  behaviour: JwksBehaviour = { keys: [] };
  private server: http.Server | undefined;
  private port = 0;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get jwksUri(): string {
    return `${this.origin}/jwks`;
  }

  get introspectionEndpoint(): string {
    return `${this.origin}/introspect`;
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = (req.url ?? '/').split('?')[0]!;
        this.requests.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization, body });
        void this.answer(path, body, req.headers.authorization, res);
      });
    });
    // Tests open and drop connections freely; keep-alive sockets must not hold the server open.
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private async answer(path: string, body: string, authorization: string | undefined, res: http.ServerResponse): Promise<void> {
    if (path === '/jwks') {
      const custom = this.behaviour.jwks;
      if (custom?.delayMs) await new Promise((r) => setTimeout(r, custom.delayMs));
      if (res.destroyed) return;
      res.writeHead(custom?.status ?? 200, { 'content-type': 'application/json', ...custom?.headers });
      res.end(custom?.body ?? JSON.stringify({ keys: this.behaviour.keys }));
      return;
    }
    if (path === '/introspect' && this.behaviour.introspect) {
      const answer = this.behaviour.introspect(new URLSearchParams(body), authorization);
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (res.destroyed) return;
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      return;
    }
    res.writeHead(404).end();
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await closeServer(this.server);
    this.server = undefined;
  }
}
