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

/** What an exchange probe is, for the check (structurally: exchange-kit's ExchangeProbe). */
export interface ExchangeProbeLike {
  readonly route: string;
  readonly status: number;
  readonly code: string;
  readonly forwarded: number;
}

/** Refusals that come from the upstream itself: the request did reach it. */
const UPSTREAM_CODES = new Set(['upstream_timeout', 'upstream_unavailable']);

/**
 * Every probe of an exchange case must match: the status and code, and for any refusal
 * that is not the upstream's own failure, nothing forwarded upstream at all.
 */
export function checkExchangeProbes(threat: Threat, probes: readonly ExchangeProbeLike[]): CaseTally {
  const { expected } = threat;
  const refusal = expected.kind === 'refuse';
  const wrongAllows = refusal ? probes.filter((p) => p.code === 'ok' || (!UPSTREAM_CODES.has(expected.code) && p.forwarded > 0)).length : 0;
  const unexpected5xx = probes.filter((p) => p.status >= 500 && !(refusal && expected.status === p.status)).length;

  expect(probes.length, `${threat.id} made no probe`).toBeGreaterThan(0);
  probes.forEach((probe, index) => {
    const where = `${threat.id} probe ${index} on ${probe.route}`;
    if (expected.kind === 'refuse') {
      expect({ status: probe.status, code: probe.code }, where).toEqual({ status: expected.status, code: expected.code });
      if (!UPSTREAM_CODES.has(expected.code)) expect(probe.forwarded, `${where}: forwarded although refused`).toBe(0);
    } else if (expected.kind === 'forward') {
      expect({ status: probe.status, code: probe.code }, where).toEqual({ status: expected.status, code: 'ok' });
      expect(probe.forwarded, `${where}: never reached the upstream`).toBeGreaterThan(0);
    } else if (expected.kind === 'answer') {
      expect({ status: probe.status, code: probe.code }, where).toEqual({ status: expected.status, code: 'ok' });
      expect(probe.forwarded, `${where}: gatepass should have answered itself`).toBe(0);
    } else {
      throw new Error(`${threat.id}: an exchange case must expect forward, answer or refuse`);
    }
  });
  return { probes: probes.length, wrongAllows, unexpected5xx };
}
