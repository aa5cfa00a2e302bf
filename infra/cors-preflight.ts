import { Duration } from 'aws-cdk-lib';
import type { CorsOptions } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, type CorsPreflightOptions } from 'aws-cdk-lib/aws-apigatewayv2';
import type { CorsConfig, RouteConfig } from '../functions/shared/config/config-schema.js';
import { ConfigError, type ConfigIssue } from '../functions/shared/config/config-validator.js';

/**
 * Browser preflights (a route's `cors` block) as each API type answers them, without a token
 * and without reaching the exchange function or the upstream; never with credentials
 * (`allowCredentials` is always false, and the schema has no field to turn it on).
 *
 * - REST: an `OPTIONS` method with a MOCK integration and no authorizer on each resource, so
 *   API Gateway answers it itself
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html).
 * - HTTP: the API's own CORS configuration, which is API-wide: "API Gateway automatically sends
 *   a response to preflight OPTIONS requests, even if there isn't an OPTIONS route"
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).
 */

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

const methodsOf = (route: RouteConfig): string[] => (route.method === 'ANY' ? [...ALL_METHODS] : [route.method]);
const sameCors = (a: CorsConfig, b: CorsConfig): boolean => JSON.stringify(a) === JSON.stringify(b);

/** REST: one preflight per resource path, for the union of its cors routes' methods. */
export function restCorsPreflights(routes: readonly RouteConfig[]): Map<string, CorsOptions> {
  const issues: ConfigIssue[] = [];
  const byPath = new Map<string, { cors: CorsConfig; index: number; methods: Set<string> }>();
  routes.forEach((route, index) => {
    if (route.cors === undefined) return;
    const seen = byPath.get(route.path);
    if (seen === undefined) byPath.set(route.path, { cors: route.cors, index, methods: new Set(methodsOf(route)) });
    else if (!sameCors(seen.cors, route.cors)) issues.push({ path: `routes[${index}].cors`, message: `differs from routes[${seen.index}].cors on the same path: one resource has one preflight answer` });
    else methodsOf(route).forEach((m) => seen.methods.add(m));
  });
  if (issues.length > 0) throw new ConfigError(issues, 'configuration for a REST API');
  return new Map(
    [...byPath].map(([path, { cors, methods }]) => [
      path,
      {
        allowOrigins: [...cors.allowOrigins],
        allowHeaders: [...cors.allowHeaders],
        allowMethods: [...methods],
        ...(cors.exposeHeaders.length > 0 ? { exposeHeaders: [...cors.exposeHeaders] } : {}),
        maxAge: Duration.seconds(cors.maxAgeSeconds),
        allowCredentials: false,
      },
    ]),
  );
}

/**
 * HTTP: the one CORS configuration of the API, or undefined when no route has a `cors` block.
 * Refused: routes with different blocks (the API has one), and an ANY route with one: a route
 * that matches OPTIONS receives the preflight, and its authorizer refuses it (the
 * "$default route" case of the page above; confirmed there for `$default` only).
 */
export function httpCorsPreflight(routes: readonly RouteConfig[]): CorsPreflightOptions | undefined {
  const issues: ConfigIssue[] = [];
  let first: { cors: CorsConfig; index: number } | undefined;
  const methods = new Set<string>();
  routes.forEach((route, index) => {
    if (route.cors === undefined) return;
    if (route.method === 'ANY') {
      issues.push({ path: `routes[${index}].cors`, message: 'an HTTP API hands an ANY route the OPTIONS preflight, and the authorizer refuses it: list the methods as routes of their own' });
    }
    if (first === undefined) first = { cors: route.cors, index };
    else if (!sameCors(first.cors, route.cors)) issues.push({ path: `routes[${index}].cors`, message: `differs from routes[${first.index}].cors: an HTTP API has one CORS configuration for all its routes` });
    methodsOf(route).forEach((m) => methods.add(m));
  });
  if (issues.length > 0) throw new ConfigError(issues, 'configuration for an HTTP API');
  if (first === undefined) return undefined;
  const { cors } = first;
  return {
    allowOrigins: [...cors.allowOrigins],
    allowHeaders: [...cors.allowHeaders],
    allowMethods: [...methods].map((m) => CorsHttpMethod[m as keyof typeof CorsHttpMethod]),
    ...(cors.exposeHeaders.length > 0 ? { exposeHeaders: [...cors.exposeHeaders] } : {}),
    maxAge: Duration.seconds(cors.maxAgeSeconds),
    allowCredentials: false,
  };
}

/** What a synth for this API type refuses in the routes' `cors` blocks (for `config:check` and early checks). */
export function corsIssues(routes: readonly RouteConfig[], apiType: 'http' | 'rest'): readonly ConfigIssue[] {
  try {
    if (apiType === 'rest') restCorsPreflights(routes);
    else httpCorsPreflight(routes);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
}
