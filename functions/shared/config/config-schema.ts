import * as v from 'valibot';

/**
 * The gatepass configuration schema (contract: docs/design.md "Configuration").
 * Runtime and CDK validate with this one schema. Objects are strict: an unknown field
 * is an error, so a typo never silently turns a safety setting off.
 */

const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;

export const TokenType = {
  AccessToken: 'urn:ietf:params:oauth:token-type:access_token',
  Jwt: 'urn:ietf:params:oauth:token-type:jwt',
  IdToken: 'urn:ietf:params:oauth:token-type:id_token',
  RefreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
} as const;

const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const ROUTE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
/** RFC 7230 token: a header field name. */
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
/** API Gateway path: literal segments, {param} segments and a final {param+}. */
const PATH_PATTERN = /^\/$|^(\/([A-Za-z0-9._~:@!$&'()*,;=-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))*(\/\{[A-Za-z_][A-Za-z0-9_]*\+\})?$/;
/**
 * HTTP APIs' catch-all route key. Refused: a catch-all has no path template, so gatepass could
 * neither bind a decision to one route nor keep the upstream path within one (docs/configuration.md).
 */
const DEFAULT_ROUTE_KEY = '$default';
const DEFAULT_ROUTE_REFUSED =
  'the HTTP API "$default" route is not supported: gatepass protects explicit routes; use path "/{proxy+}" with method ANY to catch every path (a request to "/" needs a route of its own)';
/** Secrets Manager secret name or ARN. */
const SECRET_ID_PATTERN = /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/;

const nonEmptyString = (max = 2048) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));
const urlString = v.pipe(v.string(), v.minLength(1), v.maxLength(2048), v.url('must be an absolute URL'));
const uniqueList = <T extends v.GenericSchema<unknown, string>>(item: T, max = 64) =>
  v.pipe(
    v.array(item),
    v.maxLength(max),
    v.check((list) => new Set(list).size === list.length, 'must not contain duplicates'),
  );
const scopeList = uniqueList(v.pipe(v.string(), v.regex(SCOPE_TOKEN_PATTERN, 'must be a scope token (RFC 6749 §3.3)')));
const stringList = uniqueList(nonEmptyString(1024));
const int = (min: number, max: number, fallback: number) =>
  v.optional(v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max)), fallback);
/**
 * A secret's ARN ends in `-` and six random characters Secrets Manager adds at creation
 * (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/secretsmanager/aws.sdk.kotlin.services.secretsmanager.model/-create-secret-response/arn.html).
 * An ARN without them may still read at run time as a partial ARN, but the IAM policy names
 * it exactly and can never match, so every read is denied: refused here, with the fix.
 */
const SECRET_ARN_SUFFIX = /:secret:.+-[A-Za-z0-9]{6}$/;
const SECRET_ARN_WITHOUT_SUFFIX =
  'a secret ARN must be the full ARN, ending in the "-" and 6 characters Secrets Manager adds (…:secret:gatepass/corp-AbCdEf): ' +
  'copy it from `aws secretsmanager describe-secret --secret-id <name> --query ARN`, or give the secret name instead';
const secretId = v.pipe(
  v.string(),
  v.regex(SECRET_ID_PATTERN, 'must be a Secrets Manager secret name or ARN'),
  v.check((id) => !id.startsWith('arn:') || SECRET_ARN_SUFFIX.test(id), SECRET_ARN_WITHOUT_SUFFIX),
);
/**
 * How gatepass authenticates at a token endpoint. `none` is for servers that authenticate no
 * client, such as Google's Security Token Service, where the subject token is the only
 * credential (https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token).
 */
export const ClientAuth = {
  Basic: 'client_secret_basic',
  Post: 'client_secret_post',
  PrivateKeyJwt: 'private_key_jwt',
  None: 'none',
} as const;
const clientAuth = v.picklist(
  [ClientAuth.Basic, ClientAuth.Post, ClientAuth.PrivateKeyJwt, ClientAuth.None],
  'must be "client_secret_basic", "client_secret_post", "private_key_jwt" or "none"',
);

const IntrospectionSchema = v.strictObject({
  endpoint: urlString,
  clientSecretId: secretId,
  clientAuth: v.optional(v.picklist(['client_secret_basic', 'client_secret_post']), 'client_secret_basic'),
  /** Longest time a positive introspection answer is reused (never beyond the token's `exp`). */
  cacheTtlSeconds: int(0, 300, 60),
});

const IssuerSchema = v.strictObject({
  issuer: urlString,
  jwksUri: v.optional(urlString),
  audiences: v.optional(v.pipe(stringList, v.minLength(1))),
  algorithms: v.optional(
    v.pipe(uniqueList(v.picklist(SUPPORTED_ALGORITHMS, 'must be an asymmetric algorithm gatepass supports')), v.minLength(1)),
    [...SUPPORTED_ALGORITHMS],
  ),
  /** Accepted JWT `typ` header values (case-insensitive, `application/` prefix optional). Absent: not checked. */
  tokenTypes: v.optional(v.pipe(stringList, v.minLength(1))),
  introspection: v.optional(IntrospectionSchema),
});

/**
 * Form parameters the grant or the client authentication sends itself: a static `parameters`
 * entry may not set them (a route's audience, resource and scope are the route's to set).
 */
const RESERVED_TOKEN_PARAMETERS: ReadonlySet<string> = new Set([
  'grant_type',
  'assertion',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
]);
const PARAMETER_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The grants gatepass speaks at an authorization server (docs/design.md "Authorization servers beyond RFC 8693"). */
export const Grant = {
  /** RFC 8693 token exchange. */
  TokenExchange: 'token-exchange',
  /** RFC 7523 §2.1 JWT bearer: the subject token is the `assertion` (Entra ID On-Behalf-Of). */
  JwtBearer: 'jwt-bearer',
} as const;

const AuthorizationServerSchema = v.strictObject({
  issuer: urlString,
  tokenEndpoint: urlString,
  grant: v.optional(v.picklist([Grant.TokenExchange, Grant.JwtBearer], 'must be "token-exchange" (RFC 8693) or "jwt-bearer" (RFC 7523)'), Grant.TokenExchange),
  /** Static extra form parameters sent with every grant at this server (e.g. Entra's requested_token_use). */
  parameters: v.optional(
    v.pipe(
      v.record(
        v.pipe(
          v.string(),
          v.regex(PARAMETER_NAME_PATTERN, 'parameter names are 1-64 letters, digits, "_", "." or "-"'),
          v.check((name) => !RESERVED_TOKEN_PARAMETERS.has(name), 'is sent by the grant or the client authentication itself and cannot be set here'),
        ),
        v.pipe(v.string(), v.maxLength(1024)),
      ),
      v.check((record) => Object.keys(record).length <= 16, 'may hold at most 16 parameters'),
    ),
    {},
  ),
  /** Keys of the tokens this server issues, to verify them when its issuer is not a configured issuer. */
  jwksUri: v.optional(urlString),
  clientAuth: v.optional(clientAuth, ClientAuth.Basic),
  /** Required for every clientAuth but "none", refused with "none" (config-validator.ts says so by field). */
  clientSecretId: v.optional(secretId),
});

const SameIssuerWhenSchema = v.strictObject({
  hasScopes: v.optional(scopeList, []),
  missingScopes: v.optional(scopeList, []),
  hasAudience: v.optional(stringList, []),
  missingAudience: v.optional(stringList, []),
});

const ActorSchema = v.variant('source', [
  v.strictObject({ source: v.literal('none') }),
  v.strictObject({ source: v.literal('gateway'), enforceMayAct: v.optional(v.boolean(), false) }),
  v.strictObject({
    source: v.literal('header'),
    header: v.pipe(v.string(), v.regex(HEADER_NAME_PATTERN, 'must be an HTTP header name')),
    enforceMayAct: v.optional(v.boolean(), false),
  }),
]);

const ExchangeSchema = v.strictObject({
  authorizationServer: v.pipe(v.string(), v.minLength(1)),
  sameIssuerWhen: v.optional(SameIssuerWhenSchema),
  audience: v.optional(stringList, []),
  resource: v.optional(uniqueList(urlString), []),
  scope: v.optional(scopeList, []),
  requestedTokenType: v.optional(nonEmptyString(256), TokenType.AccessToken),
  subjectTokenType: v.optional(nonEmptyString(256), TokenType.AccessToken),
  actor: v.optional(ActorSchema, { source: 'none' }),
  flow: v.optional(v.picklist(['downscoping', 'federation', 'delegation'])),
  /** Claims an issued JWT must not carry on this route (verified privacy); also means a caller's token never passes through. */
  forbiddenClaims: v.optional(uniqueList(nonEmptyString(256)), []),
  owner: v.optional(nonEmptyString(256)),
  justification: v.optional(nonEmptyString(1024)),
});

/** A browser origin: scheme, host and optional port, nothing else (https only; `*` for any). */
const ORIGIN_PATTERN = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/**
 * Browser preflights for one route, answered by API Gateway without a token and without
 * reaching the exchange function or the upstream (docs/configuration.md "routes[].cors"). Strict:
 * there is no `allowCredentials`, so a preflight answer never allows credentials.
 */
const CorsSchema = v.strictObject({
  allowOrigins: v.pipe(
    uniqueList(v.pipe(v.string(), v.check((o) => o === '*' || ORIGIN_PATTERN.test(o), 'must be an https origin such as https://app.example.com, or *'))),
    v.minLength(1, 'must name at least one origin'),
    v.check((origins) => !origins.includes('*') || origins.length === 1, '"*" stands alone: it cannot be mixed with named origins'),
  ),
  allowHeaders: v.optional(uniqueList(v.pipe(v.string(), v.regex(HEADER_NAME_PATTERN, 'must be an HTTP header name'))), ['authorization', 'content-type']),
  exposeHeaders: v.optional(uniqueList(v.pipe(v.string(), v.regex(HEADER_NAME_PATTERN, 'must be an HTTP header name'))), []),
  maxAgeSeconds: int(0, 86400, 600),
});

/**
 * A Model Context Protocol server behind this route (docs/design.md "MCP servers"): its
 * protected resource metadata (RFC 9728) is served without a token, and incoming tokens must
 * name `resource` in their `aud` (RFC 8707).
 */
const McpSchema = v.strictObject({
  /** The canonical URI clients use for this server; its path ends with the route's path. */
  resource: urlString,
  scopesSupported: v.optional(scopeList),
  resourceName: v.optional(nonEmptyString(256)),
});

const RouteSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(ROUTE_ID_PATTERN, 'must be 1-64 characters of letters, digits, ".", "_" or "-"')),
  method: v.picklist(HTTP_METHODS, `must be one of ${HTTP_METHODS.join(', ')}`),
  path: v.pipe(
    v.string(),
    v.maxLength(1024),
    v.regex(PATH_PATTERN, (issue) => (issue.input === DEFAULT_ROUTE_KEY ? DEFAULT_ROUTE_REFUSED : 'must be an API Gateway path such as /orders/{id} or /files/{proxy+}')),
  ),
  upstream: urlString,
  acceptedIssuers: v.pipe(uniqueList(v.string()), v.minLength(1, 'must name at least one issuer')),
  requiredScopes: v.optional(scopeList, []),
  exchange: v.optional(ExchangeSchema),
  cors: v.optional(CorsSchema),
  mcp: v.optional(McpSchema),
});

/** Tunables with safe defaults (docs/configuration.md "settings" documents each). */
const SettingsSchema = v.strictObject({
  /** Allowed clock difference for `exp`, `nbf` and `iat`. */
  clockSkewSeconds: int(0, 60, 30),
  /** Longest bearer token accepted, checked before any decoding. */
  maxTokenLength: int(256, 16384, 8192),
  jwks: v.optional(
    v.strictObject({
      fetchTimeoutMs: int(100, 10000, 3000),
      maxBytes: int(1024, 1048576, 262144),
      maxKeys: int(1, 100, 20),
      /** After this age the next verification refetches the JWKS, so removed keys stop working. */
      maxAgeSeconds: int(60, 86400, 900),
      /** After a fetch that did not find the wanted `kid`, no refetch for this long. */
      penaltySeconds: int(1, 600, 10),
    }),
    {},
  ),
  introspection: v.optional(
    v.strictObject({
      timeoutMs: int(100, 10000, 3000),
      maxBytes: int(1024, 1048576, 65536),
    }),
    {},
  ),
  /** Memo of verified JWTs (keyed by SHA-256 of the token) to skip repeated signature checks. */
  verifiedTokenMemo: v.optional(
    v.strictObject({
      maxEntries: int(0, 100000, 2000),
      maxAgeSeconds: int(1, 300, 300),
    }),
    {},
  ),
  exchange: v.optional(
    v.strictObject({
      connectTimeoutMs: int(50, 10000, 1000),
      requestTimeoutMs: int(100, 20000, 4000),
      /** Whole budget for one exchange including retries, well under API Gateway's 29 s. */
      deadlineMs: int(100, 25000, 8000),
      maxAttempts: int(1, 5, 3),
      maxResponseBytes: int(1024, 1048576, 65536),
      /** TTL used when the token endpoint omits `expires_in`. */
      fallbackTtlSeconds: int(1, 86400, 300),
      /** Cache entries end this long before the issued or subject token expires. */
      refreshMarginSeconds: int(0, 600, 30),
      /** Longest `act` chain a subject token may already carry. */
      maxActDepth: int(0, 10, 1),
      /** Every secret (client secrets, introspection credentials, the cache key) is re-read from Secrets Manager after this long. */
      secretMaxAgeSeconds: int(0, 86400, 300),
      circuitBreaker: v.optional(
        v.strictObject({
          failureThreshold: int(1, 100, 5),
          openSeconds: int(1, 600, 30),
        }),
        {},
      ),
    }),
    {},
  ),
  cache: v.optional(
    v.strictObject({
      memoryMaxEntries: int(0, 100000, 1000),
      tableTimeoutMs: int(50, 10000, 500),
    }),
    {},
  ),
  upstream: v.optional(
    v.strictObject({
      connectTimeoutMs: int(50, 10000, 2000),
      timeoutMs: int(100, 28000, 25000),
    }),
    {},
  ),
});

export const GatepassConfigSchema = v.strictObject({
  version: v.literal(1, 'must be 1'),
  issuers: v.pipe(
    v.record(v.pipe(v.string(), v.regex(KEY_PATTERN, 'keys must start with a letter: letters, digits, "_" or "-"')), IssuerSchema),
    v.check((r) => Object.keys(r).length > 0, 'must define at least one issuer'),
  ),
  authorizationServers: v.optional(
    v.record(v.pipe(v.string(), v.regex(KEY_PATTERN, 'keys must start with a letter: letters, digits, "_" or "-"')), AuthorizationServerSchema),
    {},
  ),
  routes: v.pipe(v.array(RouteSchema), v.minLength(1, 'must define at least one route'), v.maxLength(300)),
  insecureLoopbackHttp: v.optional(v.boolean(), false),
  settings: v.optional(SettingsSchema, {}),
});

export type GatepassConfig = v.InferOutput<typeof GatepassConfigSchema>;
export type GatepassConfigInput = v.InferInput<typeof GatepassConfigSchema>;
export type IssuerConfig = GatepassConfig['issuers'][string];
export type AuthorizationServerConfig = GatepassConfig['authorizationServers'][string];
export type RouteConfig = GatepassConfig['routes'][number];
export type ExchangeConfig = NonNullable<RouteConfig['exchange']>;
export type CorsConfig = NonNullable<RouteConfig['cors']>;
export type McpConfig = NonNullable<RouteConfig['mcp']>;
export type SameIssuerWhen = NonNullable<ExchangeConfig['sameIssuerWhen']>;
export type ActorConfig = ExchangeConfig['actor'];
export type Settings = GatepassConfig['settings'];
