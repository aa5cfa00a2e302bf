/**
 * Stands in for `@aws-sdk/credential-provider-node` (the SDK clients' default credential
 * chain) in the deployed bundles, through an esbuild alias (infra/bundling-options.ts).
 * On Lambda the execution role's credentials are always in the environment (reserved
 * variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime), the chain's
 * first link (node_modules/@aws-sdk/credential-provider-node/dist-es/defaultProvider.js,
 * `fromEnv`), so its SSO, INI, process, web-identity, container and IMDS links, with the
 * nested STS and SSO clients they load, never run there. Hand-written because the SDK's
 * `fromEnv` lives in a package gatepass does not depend on directly; same variables.
 */
export const defaultProvider = () => async () => {
  const accessKeyId = process.env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = process.env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) throw new Error('no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): this bundle expects Lambda\'s');
  const sessionToken = process.env['AWS_SESSION_TOKEN'];
  const expiry = process.env['AWS_CREDENTIAL_EXPIRATION'];
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}), ...(expiry ? { expiration: new Date(expiry) } : {}) };
};
