import { createHmac, createSecretKey, hash, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { MIN_CACHE_KEY_MATERIAL_LENGTH } from '../../shared/contracts/cache-table.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import type { CacheKeyTuple } from '../exchange-model.js';
import { TokenCipher } from './token-cipher.js';

/**
 * Cache keys (contract: docs/design.md "Cache"): `pk = "v1#" + base64url(HMAC-SHA256(hmacKey,
 * canonical(tuple)))`, and the key that seals issued tokens. Both are derived with HKDF-SHA256
 * from one key material (the SecretString of GATEPASS_CACHE_KEY_SECRET_ID) under distinct
 * labels, so the raw material is never used as a key and the two keys are independent.
 */

export const PK_PREFIX = 'v1#';

const HMAC_KEY_INFO = 'gatepass cache-key hmac v1';
const CIPHER_KEY_INFO = 'gatepass cache-key aes-256-gcm v1';
/** Domain separation: the first field of every canonical tuple. */
const TUPLE_LABEL = 'gatepass cache tuple v1';
const MEMORY_KEY_LABEL = 'gatepass cache memory key v1';

type CanonicalField = string | readonly string[];

/**
 * An injective encoding of fields in a fixed order: every string is its UTF-16 code units
 * (exactly the JS string, so even malformed strings never collide) behind a 32-bit byte
 * length; a list is its element count followed by its elements. Two different field
 * sequences of the same shape never encode equally: no separator can be forged, and no
 * boundary can shift.
 */
export function encodeCanonicalFields(fields: readonly CanonicalField[]): Buffer {
  const parts: Buffer[] = [];
  const pushString = (value: string): void => {
    const bytes = Buffer.from(value, 'utf16le');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.byteLength);
    parts.push(length, bytes);
  };
  for (const field of fields) {
    if (typeof field === 'string') {
      pushString(field);
    } else {
      const count = Buffer.alloc(4);
      count.writeUInt32BE(field.length);
      parts.push(count);
      for (const item of field) pushString(item);
    }
  }
  return Buffer.concat(parts);
}

/**
 * The canonical form of a cache key tuple. Audience, resource and scope are sets in RFC 8693
 * and RFC 6749 (their order never changes what is asked for), so they are sorted here: the
 * same request written in another order shares the entry. Duplicates are kept, so the
 * encoding stays injective over lists compared as multisets; the config schema refuses
 * duplicates anyway. Every other field, the subject token included, counts exactly.
 */
export function canonicalCacheKeyTuple(tuple: CacheKeyTuple): Buffer {
  return encodeCanonicalFields(tupleFields(TUPLE_LABEL, tuple));
}

/**
 * The key of a tuple in a container's memory layer: SHA-256 over the same fields, in the
 * same canonical order, as the pk, without the secret. The memory layer never leaves the
 * container, so it needs no keyed hash: this costs one SHA-256 (≈ 1 µs for a 1 KB token)
 * where the pk costs the canonical buffers and an HMAC, and a memory hit needs no key
 * material at all. JSON of an array of strings and string arrays is injective (lone
 * surrogates are escaped, so its UTF-8 is too), and the digest keeps no subject token.
 */
export function memoryKeyOf(tuple: CacheKeyTuple): string {
  return hash('sha256', JSON.stringify(tupleFields(MEMORY_KEY_LABEL, tuple)), 'base64url');
}

/** The tuple's fields in their one canonical order, lists as sorted sets, behind a domain label. */
function tupleFields(label: string, tuple: CacheKeyTuple): (string | string[])[] {
  const fields: (string | string[])[] = [
    label,
    tuple.subjectToken,
    tuple.authorizationServer,
    sortedSet(tuple.audience),
    sortedSet(tuple.resource),
    sortedSet(tuple.scope),
    tuple.requestedTokenType,
    tuple.actor,
  ];
  // Only when set, so the keys of routes without one stay as they were. Still injective: every
  // field before it has a fixed shape, so a tuple with it never encodes like one without.
  if (tuple.policy !== undefined && tuple.policy.length > 0) fields.push(sortedSet(tuple.policy));
  return fields;
}

function sortedSet(values: readonly string[]): string[] {
  // default sort compares UTF-16 code units: total and locale-independent
  return [...values].sort();
}

/** The derived keys of one key material: the pk HMAC and the token cipher. */
export class CacheKeys {
  private constructor(
    private readonly hmacKey: KeyObject,
    readonly cipher: TokenCipher,
  ) {}

  /**
   * Derives both keys from the material. A material shorter than the contract's minimum
   * (MIN_CACHE_KEY_MATERIAL_LENGTH characters) is a deployment mistake: `gateway_misconfigured`.
   */
  static fromMaterial(material: string): CacheKeys {
    if (typeof material !== 'string' || [...material].length < MIN_CACHE_KEY_MATERIAL_LENGTH) {
      throw new GatepassError(
        ErrorCode.GatewayMisconfigured,
        `cache key material must be a string of at least ${MIN_CACHE_KEY_MATERIAL_LENGTH} characters`,
      );
    }
    return CacheKeys.fromBytes(Buffer.from(material, 'utf8'));
  }

  /** Keys from 32 random bytes: for a memory-only cache that nothing outside this container reads. */
  static random(): CacheKeys {
    return CacheKeys.fromBytes(randomBytes(32));
  }

  private static fromBytes(material: Uint8Array): CacheKeys {
    // The material has high entropy (generated by the stack), so HKDF needs no salt (RFC 5869 §3.1).
    const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), info, 32));
    return new CacheKeys(createSecretKey(derive(HMAC_KEY_INFO)), new TokenCipher(derive(CIPHER_KEY_INFO)));
  }

  /** The table's partition key for a tuple. Reveals nothing about the subject token. */
  pkOf(tuple: CacheKeyTuple): string {
    return PK_PREFIX + createHmac('sha256', this.hmacKey).update(canonicalCacheKeyTuple(tuple)).digest('base64url');
  }
}
