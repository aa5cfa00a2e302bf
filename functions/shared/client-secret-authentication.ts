/**
 * How gatepass presents a client id and secret to an authorization server: at the token
 * endpoint and at an introspection endpoint alike (RFC 6749 §2.3.1, RFC 7662 §2.1).
 * - client_secret_basic: `Authorization: Basic base64(formUrlEncode(id) ":" formUrlEncode(secret))`;
 * - client_secret_post: `client_id` and `client_secret` in the form body.
 */
export type ClientSecretMethod = 'client_secret_basic' | 'client_secret_post';

/** What a request needs to carry: extra headers and extra form parameters. */
export interface ClientAuthentication {
  readonly headers: Readonly<Record<string, string>>;
  readonly params: readonly (readonly [string, string])[];
}

export function clientSecretAuthentication(method: ClientSecretMethod, clientId: string, clientSecret: string): ClientAuthentication {
  if (method === 'client_secret_post') return { headers: {}, params: [['client_id', clientId], ['client_secret', clientSecret]] };
  return { headers: { authorization: basicAuthorization(clientId, clientSecret) }, params: [] };
}

/**
 * RFC 6749 §2.3.1 (https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1): the client id and
 * the secret are each encoded with application/x-www-form-urlencoded per Appendix B, joined
 * with ":" and base64-encoded as HTTP Basic credentials. So a ":" in the id survives.
 */
function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

/**
 * One value in application/x-www-form-urlencoded, the encoding RFC 6749 Appendix B names
 * (https://www.rfc-editor.org/rfc/rfc6749#appendix-B): UTF-8, space as "+", every byte but
 * ASCII alphanumerics and `* - . _` as %HH. That is the WHATWG URL Standard's serializer
 * (https://url.spec.whatwg.org/#urlencoded-serializing), which the media type's IANA
 * registration now points to (https://github.com/oauth-wg/oauth-v2-1/issues/128), and
 * URLSearchParams implements it. Appendix B's example: " %&+£€" → "+%25%26%2B%C2%A3%E2%82%AC".
 * Not encodeURIComponent: it leaves `! ' ( ) ~` unescaped. Not HTML 4.01's escaping of every
 * non-alphanumeric either: `-` and `_` in base64url secrets then break at servers that
 * compare Basic credentials without decoding them (https://github.com/panva/oauth4webapi/issues/148).
 */
function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
