import { vi } from 'vitest';

/**
 * Captures what the process writes to stdout and stderr: Powertools Logger and Metrics
 * print their JSON lines there through their own Console (outside POWERTOOLS_DEV; WARN and
 * ERROR go to stderr), so spies on both streams' `write` see every log line and EMF blob,
 * and keep them out of the test output. Lambda sends both streams to CloudWatch Logs.
 */
export interface CapturedOutput {
  /** Every line written so far, both streams in write order. */
  lines(): string[];
  /** Lines that parse as JSON objects. */
  records(): Record<string, unknown>[];
  /** Everything written, as one string (for "never contains" checks). */
  text(): string;
  restore(): void;
}

export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const spy = (stream: NodeJS.WriteStream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      chunks.push(text.endsWith('\n') ? text : `${text}\n`);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    });
  const spies = [spy(process.stdout), spy(process.stderr)];
  const lines = () => chunks.join('').split('\n').filter((line) => line.trim() !== '');
  return {
    lines,
    records: () =>
      lines().flatMap((line) => {
        try {
          const value = JSON.parse(line) as unknown;
          return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    text: () => chunks.join(''),
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}
