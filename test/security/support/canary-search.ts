/**
 * Looks for secrets in text the way a leak would carry them: raw, base64, base64url,
 * URL-encoded (also the form encoding, spaces as `+`), and inside a longer base64 blob
 * (a `Basic` credential, a base64-encoded body) at any of the three byte alignments.
 * For a JWT, each of its parts is a needle too: a log holding only the signature part
 * still leaks a usable fragment.
 */

const MIN_FRAGMENT = 16;

/** The middle of the base64 (and base64url) encodings of `value` behind 0, 1 and 2 bytes of other data. */
function alignedBase64Cores(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length < 12) return [];
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift += 1) {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x41), bytes]).toString('base64');
    // The first 4 characters may mix prefix bits, the last 4 depend on what follows.
    const core = encoded.slice(shift === 0 ? 0 : 4, -4);
    if (core.length >= MIN_FRAGMENT) cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return cores;
}

/** Every form of `secret` a log line could hold. */
function encodingsOf(secret: string): string[] {
  const forms = new Set<string>([
    secret,
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
    new URLSearchParams({ v: secret }).toString().slice(2),
    ...alignedBase64Cores(secret),
  ]);
  const parts = secret.split('.');
  if (parts.length >= 3) for (const part of parts) if (part.length >= MIN_FRAGMENT) forms.add(part);
  return [...forms].filter((f) => f.length > 0);
}

/** Occurrences of any form of any secret in `text`. */
export function countCanaries(text: string, secrets: Iterable<string>): number {
  let hits = 0;
  for (const secret of secrets) {
    for (const form of encodingsOf(secret)) {
      let index = text.indexOf(form);
      while (index !== -1) {
        hits += 1;
        index = text.indexOf(form, index + form.length);
      }
    }
  }
  return hits;
}

/** The forms of the secrets that occur in `text` (for a failing assertion's message; never printed in full). */
export function canaryFindings(text: string, secrets: Iterable<string>): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const form of encodingsOf(secret)) if (text.includes(form)) found.push(`${form.slice(0, 6)}… (${form.length} chars)`);
  }
  return found;
}
