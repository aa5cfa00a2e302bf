/**
 * The environment variables gatepass reads, named once for the functions that read them,
 * the stack that sets them and the local stack that stands in for it
 * (docs/design.md "Configuration").
 */

/** The configuration as inline JSON (tests, tools); exclusive with CONFIG_FILE_ENV. */
export const CONFIG_ENV = 'GATEPASS_CONFIG';
/** Path of the configuration file; relative paths resolve against the Lambda task root. */
export const CONFIG_FILE_ENV = 'GATEPASS_CONFIG_FILE';
/** Exchange Lambda: name of the DynamoDB cache table; unset means a memory-only cache. */
export const CACHE_TABLE_ENV = 'GATEPASS_CACHE_TABLE';
/** Exchange Lambda: id or ARN of the secret holding the cache key material. */
export const CACHE_KEY_SECRET_ENV = 'GATEPASS_CACHE_KEY_SECRET_ID';
/**
 * Authorizer bundle: a build-time constant, not a runtime setting. Defined as "false" for a
 * JWT-only deployment, so esbuild drops introspection; the handler must read it as the literal
 * `process.env['GATEPASS_BUNDLE_INTROSPECTION']`, the only form esbuild replaces.
 */
export const BUNDLE_INTROSPECTION_ENV = 'GATEPASS_BUNDLE_INTROSPECTION';
/**
 * Exchange bundle: a build-time constant, not a runtime setting. Defined as "false" for a
 * configuration without MCP routes, so esbuild drops the function's own token validation; the
 * handler must read it as the literal `process.env['GATEPASS_BUNDLE_MCP']`, the only form esbuild replaces.
 */
export const BUNDLE_MCP_ENV = 'GATEPASS_BUNDLE_MCP';
/** `npm start`, `npm run token` and `npm run invoke`: the local stack's state file. */
export const LOCAL_STATE_FILE_ENV = 'GATEPASS_LOCAL_STATE';
