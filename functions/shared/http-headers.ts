/**
 * The one reading of an API Gateway event's headers, for the authorizer and the exchange
 * Lambda alike, so a header that one of them sees the other sees too.
 *
 * REST events (and HTTP API payload 1.0 events) carry `headers` (last value per name) and
 * `multiValueHeaders` (every value); HTTP API payload 2.0 events carry only `headers`,
 * with repeated values comma-joined. Per header name, in any case of the event's keys:
 * every value from `multiValueHeaders` when it lists that name, else the `headers` value.
 * Per name, not per event: a header present only in `headers` is never lost because
 * `multiValueHeaders` holds others.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */

type SingleValueHeaders = Readonly<Record<string, unknown>> | null | undefined;
type MultiValueHeaders = Readonly<Record<string, unknown>> | null | undefined;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Every header of the event, names lower-cased, each with all its values in event order. */
export function eventHeaders(single: unknown, multi: unknown): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  if (isObject(multi)) {
    for (const [name, values] of Object.entries(multi)) {
      const list = strings(values);
      if (list.length === 0) continue;
      const key = name.toLowerCase();
      const existing = headers.get(key);
      if (existing) existing.push(...list);
      else headers.set(key, list);
    }
  }
  if (isObject(single)) {
    const fromMulti = new Set(headers.keys());
    for (const [name, value] of Object.entries(single)) {
      if (typeof value !== 'string') continue;
      const key = name.toLowerCase();
      if (fromMulti.has(key)) continue;
      const existing = headers.get(key);
      if (existing) existing.push(value);
      else headers.set(key, [value]);
    }
  }
  return headers;
}

/**
 * The values of one header (`name` lower case) under the same rule as eventHeaders, without
 * building the whole map: the authorizer reads only `Authorization` on its hot path.
 */
export function eventHeaderValues(single: SingleValueHeaders, multi: MultiValueHeaders, name: string): string[] {
  const values: string[] = [];
  if (isObject(multi)) {
    for (const key of Object.keys(multi)) {
      // Keys of another length cannot match: most headers are skipped without lower-casing.
      if (key.length === name.length && key.toLowerCase() === name) values.push(...strings(multi[key]));
    }
    if (values.length > 0) return values;
  }
  if (isObject(single)) {
    for (const key of Object.keys(single)) {
      const value = single[key];
      if (key.length === name.length && key.toLowerCase() === name && typeof value === 'string') values.push(value);
    }
  }
  return values;
}
