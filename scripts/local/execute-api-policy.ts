import { isJsonObject } from './json-object.js';

/**
 * How a REST API reads a Lambda authorizer's IAM policy for one request: an explicit
 * Deny covering the method ARN wins, else an Allow covering it lets the request through,
 * else it is an implicit deny. Resources match with IAM wildcards (`*` any run of
 * characters, `?` one character). A cached policy is evaluated again for every request,
 * which is why a route-scoped policy fails closed on another route.
 */
export type PolicyVerdict = 'allow' | 'explicit-deny' | 'implicit-deny' | 'invalid';

function listOf(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`, 's');
  return regex.test(value);
}

const INVOKE_ACTIONS = ['execute-api:Invoke', 'execute-api:*', '*'];

export function evaluatePolicy(policyDocument: unknown, methodArn: string): PolicyVerdict {
  if (!isJsonObject(policyDocument)) return 'invalid';
  const statements = Array.isArray(policyDocument['Statement']) ? policyDocument['Statement'] : [policyDocument['Statement']];
  let allowed = false;
  for (const statement of statements) {
    if (!isJsonObject(statement)) return 'invalid';
    const effect = statement['Effect'];
    const actions = listOf(statement['Action']);
    const resources = listOf(statement['Resource']);
    if ((effect !== 'Allow' && effect !== 'Deny') || !actions || !resources) return 'invalid';
    const coversAction = actions.some((action) => INVOKE_ACTIONS.some((a) => a.toLowerCase() === action.toLowerCase()) || wildcardMatch(action, 'execute-api:Invoke'));
    const coversResource = resources.some((resource) => wildcardMatch(resource, methodArn));
    if (!coversAction || !coversResource) continue;
    if (effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
