/**
 * Anchor for `npm run bench` (never deployed): the least a Lambda REQUEST authorizer for
 * HTTP APIs can do with aws-jwt-verify: one issuer, no configuration file, no logging, no
 * metrics. Gatepass's authorizer import, first invoke and warm CPU are reported as ratios
 * to this. Environment: ANCHOR_ISSUER, ANCHOR_JWKS_URI, ANCHOR_AUDIENCE, ANCHOR_SCOPE.
 */
import { get } from 'node:http';
import { JwtVerifier } from 'aws-jwt-verify';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';

/** The bench's JWKS server is plain http on 127.0.0.1; aws-jwt-verify's own fetcher speaks https only (dist/esm/https-node.js). */
const loopbackFetcher: Fetcher = {
  fetch: (uri: string) =>
    new Promise<ArrayBuffer>((resolve, reject) => {
      get(uri, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
        });
      }).on('error', reject);
    }),
};

const verifier = JwtVerifier.create(
  {
    issuer: process.env['ANCHOR_ISSUER']!,
    jwksUri: process.env['ANCHOR_JWKS_URI']!,
    audience: process.env['ANCHOR_AUDIENCE']!,
    scope: process.env['ANCHOR_SCOPE']!,
  },
  { jwksCache: new SimpleJwksCache({ fetcher: loopbackFetcher }) },
);

interface HttpApiAuthorizerEvent {
  readonly headers?: Record<string, string | undefined>;
}

export const handler = async (event: HttpApiAuthorizerEvent) => {
  const header = event.headers?.['authorization'] ?? '';
  try {
    const payload = await verifier.verify(header.startsWith('Bearer ') ? header.slice(7) : '');
    return { isAuthorized: true, context: { sub: payload.sub ?? '' } };
  } catch {
    return { isAuthorized: false };
  }
};
