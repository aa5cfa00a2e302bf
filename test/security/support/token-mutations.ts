import fc from 'fast-check';

/**
 * Mutations of a valid compact JWS, as fast-check arbitraries: one byte, one claim, one
 * header field. Shared by the property suite (a mutated token, signature kept, must never
 * be allowed) and the differential suite (the same mutations, re-signed too, through
 * gatepass and through jose).
 */

export type Mutation =
  | { readonly kind: 'byte'; readonly index: number; readonly char: string }
  | { readonly kind: 'insert'; readonly index: number; readonly char: string }
  | { readonly kind: 'delete'; readonly index: number }
  | { readonly kind: 'claim'; readonly name: string; readonly value: unknown }
  | { readonly kind: 'header'; readonly name: string; readonly value: unknown };

/** `undefined` as a value means: remove the member. */
const REMOVE = undefined;

const NOW = () => Math.floor(Date.now() / 1000);

/** Values that mean something to a JWT parser, plus arbitrary JSON. */
function interestingValues(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    {
      weight: 3,
      arbitrary: fc.constantFrom<unknown>(
        REMOVE,
        null,
        true,
        false,
        0,
        -1,
        1e308,
        '',
        'none',
        'None',
        'HS256',
        'RS256',
        'ES256',
        'PS256',
        'EdDSA',
        'JWT',
        'jwt',
        'at+jwt',
        'application/at+jwt',
        'A256GCM',
        'DEF',
        [],
        ['exp'],
        ['b64'],
        'orders:read',
        'orders:read orders:admin',
        ['orders:read'],
        'https://idp.partner.example',
        'https://idp.partner.example/',
        'https://api.example.com',
        ['https://api.example.com', 'https://other.example'],
        'http://169.254.169.254/latest/meta-data/',
        'http://127.0.0.1:1/jwks',
        { sub: 'mallory' },
        { act: { act: { sub: 'x' } } },
        '__proto__',
      ),
    },
    { weight: 2, arbitrary: fc.integer({ min: -400, max: 400 }).map((delta) => NOW() + delta) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
}

const HEADER_NAMES = ['alg', 'kid', 'typ', 'cty', 'crit', 'b64', 'enc', 'zip', 'jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256', '__proto__', 'constructor'];
const CLAIM_NAMES = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'scope', 'scp', 'client_id', 'azp', 'act', 'may_act', 'cnf', '__proto__', 'constructor'];

const base64urlChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A character for a byte mutation: mostly base64url (stays parseable), sometimes anything. */
const mutationChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...base64urlChars.split('')) },
  { weight: 1, arbitrary: fc.constantFrom('.', '=', '+', '/', ' ', '\u0000', '%', '~') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

export function byteMutation(length: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('byte' as const), index: fc.nat({ max: length - 1 }), char: mutationChar }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), index: fc.nat({ max: length }), char: mutationChar }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), index: fc.nat({ max: length - 1 }) }) },
  );
}

export function claimMutation(): fc.Arbitrary<Mutation> {
  return fc.record({
    kind: fc.constant('claim' as const),
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...CLAIM_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }),
    value: interestingValues(),
  });
}

export function headerMutation(): fc.Arbitrary<Mutation> {
  return fc.record({
    kind: fc.constant('header' as const),
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...HEADER_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }),
    value: interestingValues(),
  });
}

export function anyMutation(length: number): fc.Arbitrary<Mutation> {
  return fc.oneof(byteMutation(length), claimMutation(), headerMutation());
}

/** JSON text of an object with one member set or removed; `__proto__` becomes an own member, as a JSON text would carry it. */
function withMember(json: string, name: string, value: unknown): string {
  const object = JSON.parse(json) as Record<string, unknown>;
  const entries = Object.entries(object).filter(([key]) => key !== name);
  if (value !== REMOVE) entries.push([name, value]);
  const body = entries.map(([key, v]) => `${JSON.stringify(key)}:${JSON.stringify(v) ?? 'null'}`).join(',');
  return `{${body}}`;
}

export interface MutatedParts {
  readonly header: string;
  readonly payload: string;
  /** The token with the original signature. */
  readonly token: string;
}

/** Applies a mutation; claim and header mutations re-encode their part and keep the signature. */
export function applyMutation(token: string, mutation: Mutation): MutatedParts {
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = Buffer.from(h, 'base64url').toString('utf8');
  const payload = Buffer.from(p, 'base64url').toString('utf8');
  switch (mutation.kind) {
    case 'byte':
      return { header, payload, token: token.slice(0, mutation.index) + mutation.char + token.slice(mutation.index + 1) };
    case 'insert':
      return { header, payload, token: token.slice(0, mutation.index) + mutation.char + token.slice(mutation.index) };
    case 'delete':
      return { header, payload, token: token.slice(0, mutation.index) + token.slice(mutation.index + 1) };
    case 'claim': {
      const mutated = withMember(payload, mutation.name, mutation.value);
      return { header, payload: mutated, token: `${h}.${Buffer.from(mutated).toString('base64url')}.${s}` };
    }
    case 'header': {
      const mutated = withMember(header, mutation.name, mutation.value);
      return { header: mutated, payload, token: `${Buffer.from(mutated).toString('base64url')}.${p}.${s}` };
    }
  }
}
