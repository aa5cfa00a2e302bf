import { hash } from 'node:crypto';

/**
 * The token's identifier for logs, context and cache bookkeeping: the first 32 hex
 * characters of its SHA-256 (contract: docs/design.md "Authorizer context"). Never the token.
 */
export function tokenIdOf(token: string): string {
  return sha256Hex(token).slice(0, 32);
}

export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}
