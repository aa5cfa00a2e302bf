import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * Seals issued tokens for the DynamoDB cache: AES-256-GCM with a random 96-bit IV per write.
 *
 * Each entry is sealed under its own key, derived with HKDF from the cache encryption key
 * and the entry's context (its `pk`). The random-IV collision bound of GCM (2^32 seals per
 * key) therefore applies per cache entry, not to the whole table over the key's lifetime.
 * The caller's associated data (the `pk` and the entry's metadata) is authenticated, so an
 * item moved to another `pk` or edited in place fails to open.
 *
 * Sealed format (one binary attribute): `0x01 | iv (12) | ciphertext | tag (16)`. The
 * version byte is authenticated too.
 */

const FORMAT_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const ENTRY_KEY_INFO = 'gatepass cache entry key v1\u0000';

export const TokenCipherFailure = {
  /** Too short to hold a version, an IV and a tag. */
  Malformed: 'malformed',
  /** A version byte this code does not know (written by a newer or foreign writer). */
  UnsupportedVersion: 'unsupported_version',
  /** The tag does not verify: tampered bytes, other associated data, or another key. */
  AuthenticationFailed: 'authentication_failed',
} as const;
export type TokenCipherFailure = (typeof TokenCipherFailure)[keyof typeof TokenCipherFailure];

export class TokenCipherError extends Error {
  readonly reason: TokenCipherFailure;

  constructor(reason: TokenCipherFailure, options?: { cause?: unknown }) {
    super(`sealed token cannot be opened: ${reason}`, options);
    this.name = 'TokenCipherError';
    this.reason = reason;
  }
}

export class TokenCipher {
  private readonly key: KeyObject;

  /** `key`: the 32-byte cache encryption key (derived by cache-key.ts, never the raw material). */
  constructor(key: Uint8Array) {
    if (key.byteLength !== KEY_BYTES) throw new RangeError(`token cipher key must be ${KEY_BYTES} bytes`);
    this.key = createSecretKey(key);
  }

  seal(plaintext: string, context: string, associatedData: Uint8Array): Uint8Array {
    const iv = randomBytes(IV_BYTES);
    const header = Buffer.of(FORMAT_VERSION);
    const cipher = createCipheriv('aes-256-gcm', this.entryKey(context), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.concat([header, associatedData]));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([header, iv, ciphertext, cipher.getAuthTag()]);
  }

  /** Throws TokenCipherError when the sealed value does not open with this key, context and data. */
  open(sealed: Uint8Array, context: string, associatedData: Uint8Array): string {
    if (sealed.byteLength < 1 + IV_BYTES + TAG_BYTES) throw new TokenCipherError(TokenCipherFailure.Malformed);
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (bytes[0] !== FORMAT_VERSION) throw new TokenCipherError(TokenCipherFailure.UnsupportedVersion);
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const tag = bytes.subarray(bytes.byteLength - TAG_BYTES);
    const ciphertext = bytes.subarray(1 + IV_BYTES, bytes.byteLength - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.entryKey(context), iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.concat([bytes.subarray(0, 1), associatedData]));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new TokenCipherError(TokenCipherFailure.AuthenticationFailed, { cause: error });
    }
  }

  private entryKey(context: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), ENTRY_KEY_INFO + context, KEY_BYTES));
  }
}
