import type { AuthorizerAction } from '../shared/contracts/authorizer-context.js';
import type { ErrorCode } from '../shared/errors.js';
import { MetricDimension, MetricName } from '../shared/contracts/metric-names.js';
import type { LogSink, MetricSink } from '../shared/telemetry/telemetry-sinks.js';

/** One authorizer decision, as logged and counted (a type, not an interface: it is a log sink's fields). */
export type Decision = {
  readonly outcome: 'allow' | ErrorCode;
  /** The status the caller receives (403 for every refusal on an HTTP API), not the code's own. */
  readonly status: number;
  readonly format: string;
  readonly route?: string;
  readonly issuer?: string;
  readonly action?: AuthorizerAction;
  readonly tokenId?: string;
  readonly subject?: string;
  /** Where the validation came from: jwt, memo, introspection, introspection-cache. */
  readonly via?: string;
  /** Why, as a short stable phrase for operators (see jwt-errors.ts); never contains the token. */
  readonly reason?: string;
};

export const DECISION_EVENT = 'authorizer.decision';

/**
 * What the authorizer logs and counts, through the shared sinks: one `authorizer.decision`
 * line per request that also carries, as EMF, `Allowed` by action or `Denied` by code and
 * the request's other metrics (its dependencies' failures are
 * validation-telemetry.ts's). Alarms use these, never the Lambda `Errors` metric, which counts every REST
 * 401 (docs/design.md "Operations notes").
 */
export class AuthorizerAudit {
  constructor(
    private readonly log: LogSink,
    private readonly metrics: MetricSink,
  ) {}

  /** Call exactly once per request, last: the decision line also carries the request's metrics (decision-line.ts). */
  decision(decision: Decision): void {
    if (decision.outcome === 'allow') {
      this.metrics.count(MetricName.Allowed, { [MetricDimension.Action]: decision.action ?? 'unknown' });
      this.log.decision('info', DECISION_EVENT, decision);
    } else {
      this.metrics.count(MetricName.Denied, { [MetricDimension.Code]: decision.outcome });
      this.log.decision('warn', DECISION_EVENT, decision);
    }
  }
}
