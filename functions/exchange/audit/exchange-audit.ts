import type { RouteConfig } from '../../shared/config/config-schema.js';
import type { ErrorCode } from '../../shared/errors.js';
import { MetricDimension, MetricName } from '../../shared/contracts/metric-names.js';
import { AuthorizerAction, type AuthorizerContext } from '../../shared/contracts/authorizer-context.js';
import type { CacheLayer } from '../../shared/contracts/metric-names.js';
import type { LogSink, MetricSink } from '../../shared/telemetry/telemetry-sinks.js';
import type { IssuedTokenVerification } from '../policy/issued-token-verifier.js';
import type { NarrowingFlow } from '../policy/scope-narrowing.js';
import type { ProviderRefusal } from '../token-endpoint/token-endpoint-errors.js';

/** The exchange Lambda's audit line: one `exchange.decision` per request (docs/design.md "Audit"). */

const DECISION_EVENT = 'exchange.decision';

/** Everything one audit line says. Optional fields are absent when the request was refused before they were known. */
export interface ExchangeDecision {
  /** `ok`, or the code the caller received. */
  readonly outcome: 'ok' | ErrorCode;
  /** The status gatepass answered with (the upstream's status when it answered). */
  readonly status: number;
  /** Milliseconds from the event's arrival to the answer. */
  readonly latencyMs: number;
  readonly requestId?: string;
  readonly method?: string;
  readonly route?: string;
  readonly action?: AuthorizerContext['action'];
  readonly issuer?: string;
  readonly subject?: string;
  readonly clientId?: string;
  readonly tokenId?: string;
  /** On a route this function guards itself (MCP): where the validation came from (jwt, memo, introspection, introspection-cache). */
  readonly via?: string;
  /** An MCP request: `mcp-resource` (validated here) or `mcp-metadata` (public metadata). */
  readonly mcp?: string;
  readonly authorizationServer?: string;
  readonly audience?: readonly string[];
  readonly resource?: readonly string[];
  readonly requestedScope?: readonly string[];
  readonly grantedScope?: readonly string[];
  /** Where the issued token came from; absent for a passthrough. */
  readonly cacheLayer?: CacheLayer;
  /** The upstream answered 401, the token was exchanged once more and the request sent again. */
  readonly reExchanged?: boolean;
  readonly upstreamStatus?: number;
  readonly upstreamLatencyMs?: number;
  /** Governance from the route's exchange block. */
  readonly flow?: string;
  readonly owner?: string;
  readonly justification?: string;
  /**
   * gateway_misconfigured: what the deployment got wrong; exchange_not_narrower and
   * exchange_bad_response: what was wrong with the server's answer. gatepass's words, never request data.
   */
  readonly reason?: string;
  /** The narrowing limit applied: the route's `flow`, else same issuer → downscoping, other → federation. */
  readonly narrowingFlow?: NarrowingFlow;
  /** OpenID Connect identity scopes granted and ignored by narrowing (exchanged requests only). */
  readonly identityScopesIgnored?: readonly string[];
  /** Resources asked for with `<resource>/.default`: their grant is the app registration's, logged in grantedScope. */
  readonly defaultScopeResources?: readonly string[];
  /** How the issued token was checked (exchanged requests only): signature, keys-unknown or opaque. */
  readonly issuedTokenVerified?: IssuedTokenVerification;
  /** exchange_denied: what the authorization server said (error, suberror, AADSTS code, trace ids). */
  readonly providerRefusal?: ProviderRefusal;
}

/**
 * The audit fields known once the request is bound to its route: who (from the
 * authorizer context), and what the route's exchange block asks for. The handler adds
 * outcome, status, latency, cache layer and granted scope.
 */
export function decisionFields(
  route: RouteConfig | undefined,
  context: AuthorizerContext | undefined,
): Omit<ExchangeDecision, 'outcome' | 'status' | 'latencyMs'> {
  const exchange = context?.action === AuthorizerAction.Exchange ? route?.exchange : undefined;
  return {
    route: route?.id ?? context?.route,
    action: context?.action,
    issuer: context?.issuer,
    subject: context?.subject,
    clientId: context?.clientId,
    tokenId: context?.tokenId,
    ...(exchange
      ? {
          authorizationServer: exchange.authorizationServer,
          audience: exchange.audience,
          resource: exchange.resource,
          requestedScope: exchange.scope,
          flow: exchange.flow,
          owner: exchange.owner,
          justification: exchange.justification,
        }
      : {}),
  };
}

const spaced = (list: readonly string[] | undefined): string | undefined => (list === undefined ? undefined : list.join(' '));

/**
 * Writes the audit line of a request, which also carries the request's metrics as EMF:
 * `Exchanges`, `ExchangeError` by `code` unless the outcome is ok, and what the parts recorded. Cache lookups are
 * counted by the cache itself (`CacheHit` by `layer`), token-endpoint and upstream
 * latencies by the client and the forwarder, so none is counted twice. Call it exactly
 * once per request, last.
 */
export class ExchangeAudit {
  constructor(
    private readonly log: LogSink,
    private readonly metrics: MetricSink,
  ) {}

  record(decision: ExchangeDecision): void {
    // Absent fields stay undefined: the decision line leaves them out (decision-line.ts).
    const fields: Record<string, unknown> = {
      event: DECISION_EVENT,
      outcome: decision.outcome,
      status: decision.status,
      latencyMs: Math.round(decision.latencyMs),
      requestId: decision.requestId,
      method: decision.method,
      route: decision.route,
      action: decision.action,
      issuer: decision.issuer,
      subject: decision.subject,
      clientId: decision.clientId,
      tokenId: decision.tokenId,
      via: decision.via,
      mcp: decision.mcp,
      authorizationServer: decision.authorizationServer,
      audience: decision.audience,
      resource: decision.resource,
      requestedScope: spaced(decision.requestedScope),
      grantedScope: spaced(decision.grantedScope),
      cacheLayer: decision.cacheLayer,
      reExchanged: decision.reExchanged,
      upstreamStatus: decision.upstreamStatus,
      upstreamLatencyMs: decision.upstreamLatencyMs === undefined ? undefined : Math.round(decision.upstreamLatencyMs),
      flow: decision.flow,
      owner: decision.owner,
      justification: decision.justification,
      reason: decision.reason,
      narrowingFlow: decision.narrowingFlow,
      identityScopesIgnored: spaced(decision.identityScopesIgnored),
      defaultScopeResources: decision.defaultScopeResources,
      issuedTokenVerified: decision.issuedTokenVerified,
      providerError: decision.providerRefusal?.error,
      providerSuberror: decision.providerRefusal?.suberror,
      providerErrorCode: decision.providerRefusal?.providerCode,
      providerTraceId: decision.providerRefusal?.traceId,
      providerCorrelationId: decision.providerRefusal?.correlationId,
    };

    this.metrics.count(MetricName.Exchanges);
    if (decision.outcome !== 'ok') this.metrics.count(MetricName.ExchangeError, { [MetricDimension.Code]: decision.outcome });
    // A misconfiguration pages someone; other server-side failures warn; everything else is routine.
    // The line also carries the request's metrics (decision-line.ts), so it comes last.
    const level = decision.outcome === 'gateway_misconfigured' ? 'error' : decision.outcome !== 'ok' && decision.status >= 500 ? 'warn' : 'info';
    this.log.decision(level, DECISION_EVENT, fields);
  }
}
