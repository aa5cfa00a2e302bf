/**
 * Anchor for `npm run bench` (never deployed): the least a forwarding Lambda does per
 * request: one `node:http` keep-alive request to the same upstream with a fixed bearer
 * token, the answer read in full and returned as a proxy result. No validation, no cache,
 * no logging. Environment: ANCHOR_UPSTREAM (an http:// base URL), ANCHOR_BEARER.
 */
import { send } from './anchor-http.js';

const upstream = process.env['ANCHOR_UPSTREAM']!.replace(/\/$/, '');
const authorization = `Bearer ${process.env['ANCHOR_BEARER'] ?? 'anchor'}`;

interface ProxyEvent {
  readonly rawPath?: string;
}

export const handler = async (event: ProxyEvent) => {
  const answer = await send(new URL(`${upstream}${event.rawPath ?? '/'}`), 'GET', { authorization, accept: 'application/json' });
  return { statusCode: answer.status, headers: { 'content-type': answer.contentType }, body: answer.body.toString('utf8') };
};
