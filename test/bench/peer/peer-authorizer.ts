/**
 * The usual peer, for `npm run bench` only (never deployed): a Lambda REQUEST authorizer
 * for HTTP APIs (payload 2.0, simple responses) written the way public samples write it,
 * with jsonwebtoken and jwks-rsa's `getKey` callback. Configured by environment:
 * PEER_JWKS_URI, PEER_ISSUER, PEER_AUDIENCE, PEER_ALGORITHMS (comma separated),
 * PEER_REQUIRED_SCOPE.
 *
 * It checks less than gatepass (no route binding, no canonical-encoding or `crit`
 * checks, no JWKS size or key filtering) and logs nothing: the comparison favours it.
 */
import jwt, { type Algorithm, type GetPublicKeyOrSecret, type JwtPayload } from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';

const client = jwksClient({
  jwksUri: process.env['PEER_JWKS_URI']!,
  cache: true,
  rateLimit: true,
  jwksRequestsPerMinute: 10,
});

const getKey: GetPublicKeyOrSecret = (header, callback) => {
  client.getSigningKey(header.kid, (err, key) => {
    if (err || !key) return callback(err ?? new Error('no key'));
    callback(null, key.getPublicKey());
  });
};

const options = {
  issuer: process.env['PEER_ISSUER']!,
  audience: process.env['PEER_AUDIENCE']!,
  algorithms: (process.env['PEER_ALGORITHMS'] ?? 'RS256').split(',') as Algorithm[],
};
const requiredScope = process.env['PEER_REQUIRED_SCOPE'] ?? '';

interface HttpApiAuthorizerEvent {
  readonly headers?: Record<string, string | undefined>;
}

export const handler = async (event: HttpApiAuthorizerEvent) => {
  const header = event.headers?.['authorization'] ?? '';
  const token = header.replace(/^Bearer\s+/i, '');
  try {
    const decoded = await new Promise<JwtPayload>((resolve, reject) => {
      jwt.verify(token, getKey, options, (err, payload) => (err ? reject(err) : resolve(payload as JwtPayload)));
    });
    const scopes = typeof decoded['scope'] === 'string' ? decoded['scope'].split(' ') : [];
    if (requiredScope && !scopes.includes(requiredScope)) return { isAuthorized: false };
    return { isAuthorized: true, context: { sub: decoded.sub ?? '', scope: decoded['scope'] ?? '' } };
  } catch {
    return { isAuthorized: false };
  }
};
