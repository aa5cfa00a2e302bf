/** A JSON object (not null, not an array): what the local stack's readers of events, results and files check before they index into one. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
