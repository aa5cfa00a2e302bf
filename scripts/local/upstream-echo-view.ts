import { tokenIdOf } from '../../functions/shared/token-id.js';
import type { EchoedRequest, EchoResponder } from '../../fakes/echo-upstream.js';

/**
 * How the local stack's echo upstream answers: pretty JSON of what it received, with the
 * bearer token shown as its `tokenId` and decoded claims (never the token itself), so a
 * curl in the walkthrough shows at a glance which token reached the upstream.
 */
export interface UpstreamView {
  readonly received: string;
  readonly query: string;
  readonly token: { readonly tokenId: string; readonly claims: Record<string, unknown> | null } | null;
  /** Every header but Authorization, repeated values joined with ", ". */
  readonly headers: Record<string, string>;
  readonly bodyBytes: number;
}

function upstreamView(request: EchoedRequest): UpstreamView {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers['authorization']?.[0] ?? '')?.[1];
  const headers = Object.fromEntries(Object.entries(request.headers).flatMap(([name, values]) => (name === 'authorization' ? [] : [[name, values.join(', ')]])));
  return {
    received: `${request.method} ${request.path}`,
    query: request.query,
    token: bearer ? { tokenId: tokenIdOf(bearer), claims: request.claims } : null,
    headers,
    bodyBytes: Buffer.from(request.bodyBase64, 'base64').length,
  };
}

export const echoViewResponder: EchoResponder = (_req, res, echoed) => {
  const body = `${JSON.stringify(upstreamView(echoed), null, 2)}\n`;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  return true;
};
