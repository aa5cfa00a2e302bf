import { expect } from 'vitest';
import type { Threat } from '../threat-catalogue.js';
import type { AuthorizerProbe } from './authorizer-kit.js';

/** How one case's probes compare with the catalogue: counted first, then asserted. */
export interface CaseTally {
  /** Probes made. */
  readonly probes: number;
  /** An allow (or a forward) where the catalogue expected a refusal. */
  readonly wrongAllows: number;
  /** A 5xx where the catalogue did not expect exactly that status. */
  readonly unexpected5xx: number;
}

/**
 * Every probe of an authorizer case must match the expected outcome: the code in the
 * decision, the REST status (401/403), and HTTP API's 403 for any refusal.
 */
export function checkAuthorizerProbes(threat: Threat, probes: readonly AuthorizerProbe[]): CaseTally {
  const { expected } = threat;
  const expectAllow = expected.kind === 'allow';
  const wrongAllows = expectAllow ? 0 : probes.filter((p) => p.status === 200 || p.outcome === 'allow').length;
  const unexpected5xx = probes.filter((p) => p.status >= 500 && !(expected.kind === 'refuse' && expected.status === p.status)).length;

  expect(probes.length, `${threat.id} made no probe`).toBeGreaterThan(0);
  for (const probe of probes) {
    const where = `${threat.id} (${probe.format})${probe.reason ? `: ${probe.reason}` : ''}`;
    if (expected.kind === 'allow') {
      expect({ outcome: probe.outcome, status: probe.status }, where).toEqual({ outcome: 'allow', status: 200 });
    } else if (expected.kind === 'refuse') {
      const status = probe.format === 'http-v2' ? 403 : expected.status;
      expect({ outcome: probe.outcome, status: probe.status }, where).toEqual({ outcome: expected.code, status });
    } else {
      throw new Error(`${threat.id}: an authorizer case must expect allow or refuse`);
    }
  }
  return { probes: probes.length, wrongAllows, unexpected5xx };
}
