import type { GatepassConfig, RouteConfig } from './config/config-schema.js';

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

interface CompiledRoute {
  readonly route: RouteConfig;
  readonly segments: readonly Segment[];
}

function compile(path: string): Segment[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s): Segment => {
      if (s.startsWith('{') && s.endsWith('+}')) return { kind: 'greedy', name: s.slice(1, -2) };
      if (s.startsWith('{') && s.endsWith('}')) return { kind: 'param', name: s.slice(1, -1) };
      return { kind: 'literal', value: s };
    });
}

/**
 * Finds the configured route of a request, the way API Gateway selects it:
 * by route key (`GET /orders/{id}`) when the event carries one, else by matching
 * the concrete path against the templates (literal beats `{param}` beats `{proxy+}`,
 * an exact method beats `ANY`).
 */
export class RouteMatcher {
  private readonly byKey = new Map<string, RouteConfig>();
  private readonly compiled: readonly CompiledRoute[];

  constructor(config: Pick<GatepassConfig, 'routes'>) {
    for (const route of config.routes) this.byKey.set(`${route.method} ${route.path}`, route);
    this.compiled = config.routes.map((route) => ({ route, segments: compile(route.path) }));
  }

  /** REST `resource` + `httpMethod`, or the two halves of an HTTP API `routeKey`. */
  byTemplate(method: string, resourcePath: string): RouteConfig | undefined {
    const upper = method.toUpperCase();
    return this.byKey.get(`${upper} ${resourcePath}`) ?? this.byKey.get(`ANY ${resourcePath}`);
  }

  /** HTTP API `routeKey` such as `GET /orders/{id}` or `ANY /files/{proxy+}`. */
  byRouteKey(routeKey: string): RouteConfig | undefined {
    const space = routeKey.indexOf(' ');
    if (space <= 0) return undefined; // `$default` and malformed keys match nothing
    return this.byTemplate(routeKey.slice(0, space), routeKey.slice(space + 1));
  }

  /** A concrete path such as `/orders/42` (TOKEN authorizers only know the method ARN). */
  byPath(method: string, path: string): RouteConfig | undefined {
    const upper = method.toUpperCase();
    const parts = path.split('/').filter((s) => s !== '');
    let best: { route: RouteConfig; score: number[] } | undefined;
    for (const candidate of this.compiled) {
      if (candidate.route.method !== upper && candidate.route.method !== 'ANY') continue;
      const score = matchScore(candidate.segments, parts);
      if (!score) continue;
      score.push(candidate.route.method === upper ? 1 : 0);
      if (!best || compareScores(score, best.score) > 0) best = { route: candidate.route, score };
    }
    return best?.route;
  }
}

/** Per-segment specificity (2 literal, 1 param, 0 greedy), or undefined when the path does not match. */
function matchScore(segments: readonly Segment[], parts: readonly string[]): number[] | undefined {
  const score: number[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i];
    if (segment.kind === 'greedy') {
      if (part === undefined) return undefined;
      score.push(0);
      return score;
    }
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (segment.value !== part) return undefined;
      score.push(2);
    } else {
      score.push(1);
    }
  }
  return parts.length === segments.length ? score : undefined;
}

function compareScores(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The execute-api resource pattern of a route for an IAM policy: path parameters
 * become wildcards, `ANY` becomes `*`. `arnPrefix` is `arn:aws:execute-api:region:account:api/stage`.
 */
export function routeResourceArn(arnPrefix: string, route: RouteConfig): string {
  const method = route.method === 'ANY' ? '*' : route.method;
  const path = route.path.replace(/\{[A-Za-z0-9_]+\+\}/g, '*').replace(/\{[A-Za-z0-9_]+\}/g, '*');
  return `${arnPrefix}/${method}${path === '/' ? '/' : path}`;
}
