import { Agent, request } from 'node:http';

/** One keep-alive agent per container, as any Lambda that calls out should build at init. */
const keepAliveAgent = new Agent({ keepAlive: true });

export interface AnchorResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** The least an HTTP call can be with node:http: no deadline, no size cap, no retry (anchors only; gatepass bounds all three). */
export function send(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<AnchorResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ agent: keepAliveAgent, host: url.hostname, port: url.port, method, path: `${url.pathname}${url.search}`, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 502, contentType: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
