/**
 * What the exchange Lambda and the stack agree on about the cache table and its key
 * (docs/design.md "Cache"): the item's attribute names, and the key material's length.
 */

/** Attribute names of a cache item; `pk` is the partition key, `expiresAt` the TTL attribute. */
export const CacheTableAttribute = {
  /** S: `v1#` + base64url HMAC of the request tuple. */
  PartitionKey: 'pk',
  /** N: epoch seconds; re-checked on every read, since TTL deletion is lazy. */
  ExpiresAt: 'expiresAt',
  /** B: the issued token, AES-256-GCM sealed. */
  SealedToken: 'sealedToken',
  /** S: RFC 8693 `issued_token_type`. */
  IssuedTokenType: 'issuedTokenType',
  /** S: `Bearer`, or the server's value for other token types. */
  TokenType: 'tokenType',
  /** L(S): the granted scope. */
  Scope: 'scope',
  /** N: epoch seconds, when the entry was written (informational). */
  CreatedAt: 'createdAt',
} as const;

/** The exchange Lambda refuses shorter cache key material (characters of the secret's string). */
export const MIN_CACHE_KEY_MATERIAL_LENGTH = 32;
/** What the stack's generated secret holds by default. */
export const GENERATED_CACHE_KEY_MATERIAL_LENGTH = 64;
