import type { GatepassConfig } from '../shared/config/config-schema.js';
import { extractBearerToken } from '../shared/bearer-token.js';
import { ErrorCode, GatepassError } from '../shared/errors.js';
import { RouteMatcher } from '../shared/route-matcher.js';
import { parseAuthorizerEvent } from './authorizer-event.js';
import { allowResult, callerStatus, denyResult, type AuthorizerResult } from './authorizer-response.js';
import type { SecretReader } from '../shared/secrets/secret-reader.js';
import { authorizeRoute } from '../shared/token-validation/route-authorization.js';
import { TokenValidation } from '../shared/token-validation/token-validation.js';
import { validationTelemetry } from '../shared/token-validation/validation-telemetry.js';
import { AuthorizerAudit, type Decision } from './authorizer-audit.js';
import type { LogSink, MetricSink } from '../shared/telemetry/telemetry-sinks.js';

export interface AuthorizerDependencies {
  /** Where the decision line and operational events go (Powertools in the handler, a recorder in tests). */
  readonly log: LogSink;
  readonly metrics: MetricSink;
  readonly readSecret: SecretReader;
  readonly now?: () => number;
}

/**
 * The authorizer's logic, independent of Lambda: event in, API Gateway answer out.
 * Built once per container (JWKS cache, memo and connections live here).
 */
export class Authorizer {
  private readonly matcher: RouteMatcher;
  private readonly validation: TokenValidation;
  private readonly audit: AuthorizerAudit;

  constructor(
    private readonly config: GatepassConfig,
    deps: AuthorizerDependencies,
  ) {
    this.audit = new AuthorizerAudit(deps.log, deps.metrics);
    this.matcher = new RouteMatcher(config);
    this.validation = new TokenValidation(config, {
      readSecret: deps.readSecret,
      now: deps.now ?? Date.now,
      ...validationTelemetry(deps.log, deps.metrics),
    });
  }

  /**
   * Decide on one event. Resolves to the API Gateway answer, or rejects with the REST
   * "Unauthorized" signal (401). Anything else that rejects is a gatepass bug or an
   * unsupported event: API Gateway answers 500 and nothing is allowed.
   */
  async handle(event: unknown): Promise<AuthorizerResult> {
    const request = parseAuthorizerEvent(event, this.matcher);
    // What the decision line can say so far; filled in as the request gets further.
    let route: string | undefined;
    let tokenId: string | undefined;
    let issuer: string | undefined;
    let via: string | undefined;
    try {
      const matched = request.route;
      if (!matched) {
        throw new GatepassError(
          ErrorCode.GatewayMisconfigured,
          request.defaultRoute
            ? 'the HTTP API $default route is not supported: configure the routes gatepass protects (ANY /{proxy+} catches every path), see docs/configuration.md'
            : 'the request matches no configured route',
        );
      }
      route = matched.id;
      if (request.tokenInQuery) throw new GatepassError(ErrorCode.TokenMalformed, 'access_token in the query string is refused (RFC 6750 §2.3)');
      const token = extractBearerToken(request.authorization, this.config.settings.maxTokenLength);
      const allowed = await authorizeRoute(this.config, this.validation, matched, token, (known) => {
        tokenId = known.tokenId;
        issuer = known.issuer;
        via = known.via;
      });
      const { action, subject } = allowed.context;
      this.audit.decision({ route, tokenId: allowed.context.tokenId, issuer: allowed.context.issuer, via: allowed.via, outcome: 'allow', status: 200, format: request.format, action, subject });
      return allowResult(request, matched, allowed.encoded);
    } catch (error) {
      if (!(error instanceof GatepassError)) throw error;
      const status = error.code === ErrorCode.GatewayMisconfigured ? 403 : error.status;
      const known: Partial<Decision> = {
        ...(route !== undefined ? { route } : {}),
        ...(tokenId !== undefined ? { tokenId } : {}),
        ...(issuer !== undefined ? { issuer, via } : {}),
      };
      // The status the caller gets, beside the code: on an HTTP API every refusal is a 403.
      this.audit.decision({ ...known, outcome: error.code, status: callerStatus(request, status), format: request.format, reason: error.message });
      return denyResult(request, status, error.code);
    }
  }
}
