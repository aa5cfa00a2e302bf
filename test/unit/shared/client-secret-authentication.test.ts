import { describe, expect, it } from 'vitest';
import { clientSecretAuthentication } from '../../../functions/shared/client-secret-authentication.js';

/** The Basic credentials before base64: encode(id) ":" encode(secret). */
const basicPair = (clientId: string, clientSecret: string) =>
  Buffer.from(clientSecretAuthentication('client_secret_basic', clientId, clientSecret).headers['authorization']!.replace(/^Basic /, ''), 'base64').toString('utf8');

/** How one value is encoded: as the secret of a Basic pair whose id is plain. */
const formUrlEncode = (value: string) => basicPair('id', value).slice('id:'.length);

/** What an authorization server does with Basic credentials (RFC 6749 §2.3.1): base64, split at the first ":", form-decode each part. */
function decodeBasic(header: string): [string, string] {
  const pair = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  const decode = (part: string) => new URLSearchParams(`v=${part}`).get('v')!;
  return [decode(pair.slice(0, colon)), decode(pair.slice(colon + 1))];
}

describe('formUrlEncode (RFC 6749 Appendix B: application/x-www-form-urlencoded)', () => {
  it("gives Appendix B's own example: \" %&+£€\" → \"+%25%26%2B%C2%A3%E2%82%AC\"", () => {
    // https://www.rfc-editor.org/rfc/rfc6749#appendix-B
    expect(formUrlEncode(' %&+£€')).toBe('+%25%26%2B%C2%A3%E2%82%AC');
  });

  it("escapes ! ' ( ) ~, which encodeURIComponent leaves as they are", () => {
    expect(formUrlEncode("!'()~")).toBe('%21%27%28%29%7E');
  });

  it('writes a space as "+" and escapes ":" so that a colon in the id cannot split the pair', () => {
    expect(formUrlEncode('a b:c')).toBe('a+b%3Ac');
  });

  it('encodes non-ASCII as UTF-8 bytes, and a lone surrogate as U+FFFD instead of throwing', () => {
    expect(formUrlEncode('é€😀')).toBe('%C3%A9%E2%82%AC%F0%9F%98%80');
    expect(formUrlEncode('a\ud800b')).toBe('a%EF%BF%BDb');
  });

  it('keeps ASCII alphanumerics and * - . _ as they are (the WHATWG serializer; base64url secrets stay readable)', () => {
    expect(formUrlEncode('AZaz09*-._')).toBe('AZaz09*-._');
  });
});

describe('clientSecretAuthentication', () => {
  const awkwardId = 'gate pass:é';
  const awkwardSecret = "s3cret! '()~ :*-._%+/=€";

  it('client_secret_basic: Basic base64(encode(id) ":" encode(secret)), which a form decoder reads back exactly', () => {
    const auth = clientSecretAuthentication('client_secret_basic', awkwardId, awkwardSecret);
    expect(auth.params).toEqual([]);
    expect(basicPair(awkwardId, awkwardSecret)).toBe('gate+pass%3A%C3%A9:s3cret%21+%27%28%29%7E+%3A*-._%25%2B%2F%3D%E2%82%AC');
    expect(decodeBasic(auth.headers['authorization']!)).toEqual([awkwardId, awkwardSecret]);
  });

  it('client_secret_post: client_id and client_secret as form parameters, no Authorization header', () => {
    expect(clientSecretAuthentication('client_secret_post', awkwardId, awkwardSecret)).toEqual({
      headers: {},
      params: [
        ['client_id', awkwardId],
        ['client_secret', awkwardSecret],
      ],
    });
  });
});
