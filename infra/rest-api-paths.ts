import type { RouteConfig } from '../functions/shared/config/config-schema.js';
import type { ConfigIssue } from '../functions/shared/config/config-validator.js';

/**
 * REST APIs build a resource tree, and one level may hold only one variable part:
 * `/orders/{id}` and `/orders/{orderId}/items` cannot both exist. Reported at synth,
 * with the routes' field paths, rather than as a failed deployment.
 */
export function restPathIssues(routes: readonly RouteConfig[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const variableAt = new Map<string, { name: string; index: number }>();
  routes.forEach((route, index) => {
    const segments = route.path.split('/').filter(Boolean);
    let parent = '';
    for (const segment of segments) {
      if (segment.startsWith('{')) {
        const seen = variableAt.get(parent);
        if (seen === undefined) {
          variableAt.set(parent, { name: segment, index });
        } else if (seen.name !== segment) {
          issues.push({
            path: `routes[${index}].path`,
            message: `REST APIs allow one variable part per level: "${segment}" conflicts with "${seen.name}" of routes[${seen.index}] under "${parent || '/'}"`,
          });
          return;
        }
      }
      parent = `${parent}/${segment}`;
    }
  });
  return issues;
}
