import type { GatepassConfig, RouteConfig } from '../../shared/config/config-schema.js';
import { ErrorCode, GatepassError } from '../../shared/errors.js';
import type { ProxyRequest } from './proxy-event.js';

/**
 * The configured route of a request: the one the authorizer named in its context, and
 * only if API Gateway invoked the integration for that same route. A mismatch means the
 * authorizer's decision was made for another route (for example a cached authorizer
 * result whose identity sources do not include the route): its scope checks do not
 * apply here, so nothing is forwarded (gateway_misconfigured, 500).
 */
export class RouteBinding {
  private readonly byId: ReadonlyMap<string, RouteConfig>;

  constructor(config: Pick<GatepassConfig, 'routes'>) {
    this.byId = new Map(config.routes.map((route) => [route.id, route]));
  }

  routeOf(request: Pick<ProxyRequest, 'authorizer' | 'method' | 'resource'>): RouteConfig {
    const id = request.authorizer.route;
    const route = this.byId.get(id);
    if (!route) throw new GatepassError(ErrorCode.GatewayMisconfigured, `authorizer context names route "${id}", which this configuration does not define`);
    // An HTTP API `$default` route has no path template to bind (docs/configuration.md).
    if (request.resource === '') {
      throw new GatepassError(ErrorCode.GatewayMisconfigured, 'API Gateway invoked the HTTP API $default route, which gatepass does not serve: configure explicit routes (ANY /{proxy+} catches every path)');
    }
    if (request.resource !== route.path || (route.method !== 'ANY' && route.method !== request.method)) {
      throw new GatepassError(
        ErrorCode.GatewayMisconfigured,
        `authorizer context names route "${id}" (${route.method} ${route.path}) but API Gateway invoked ${request.method} ${request.resource || '$default'}: authorizer results must be cached per route`,
      );
    }
    return route;
  }
}
