import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tokenIdOf } from '../../functions/shared/token-id.js';

/**
 * The sample proxy events of events/ (exchange.*.json) as fresh mutable copies, and a way
 * to put a given bearer token in one with the matching authorizer `tokenId`.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MutableEvent = Record<string, any>;

export function loadExchangeEvent(scenario: 'rest-api-v1' | 'http-api-v2' | 'rest-api-v1-no-authorizer'): MutableEvent {
  const file = fileURLToPath(new URL(`../../events/exchange.${scenario}.json`, import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as MutableEvent;
}

/** Sets `Authorization: Bearer <token>` (every header form of the event) and the context's tokenId. */
export function withBearerToken(event: MutableEvent, token: string): MutableEvent {
  const value = `Bearer ${token}`;
  if (event['version'] === '2.0') {
    event['headers']['authorization'] = value;
    event['requestContext']['authorizer']['lambda']['tokenId'] = tokenIdOf(token);
  } else {
    event['headers']['Authorization'] = value;
    event['multiValueHeaders']['Authorization'] = [value];
    if (event['requestContext']['authorizer']) event['requestContext']['authorizer']['tokenId'] = tokenIdOf(token);
  }
  return event;
}

/** The authorizer context object of an event (v1 or v2), for edits. */
export function contextOf(event: MutableEvent): MutableEvent {
  return event['version'] === '2.0' ? event['requestContext']['authorizer']['lambda'] : event['requestContext']['authorizer'];
}
