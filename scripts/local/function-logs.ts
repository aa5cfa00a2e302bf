import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What a local Lambda function writes (its containers' stdout and stderr, which Lambda
 * sends to CloudWatch Logs), plus the runtime's START/END/REPORT lines. Kept three ways:
 * the last lines in memory (tests read the `exchange.decision` audit lines from here),
 * written to a file (`.local/stack/logs/<function>.log` for `npm start`, new at each start), and optionally
 * mirrored to the terminal with a prefix.
 */
export interface FunctionLogsOptions {
  /** One line per log line; created (or emptied) with its folder. */
  readonly file?: string;
  /** Mirror each line to this stream, prefixed with the function's name. */
  readonly mirror?: NodeJS.WritableStream;
  /** Lines kept in memory; default 5000. */
  readonly keep?: number;
}

export class FunctionLogs {
  readonly #lines: string[] = [];
  readonly #keep: number;
  readonly #file: WriteStream | undefined;

  constructor(
    readonly functionName: string,
    private readonly options: FunctionLogsOptions = {},
  ) {
    this.#keep = options.keep ?? 5000;
    if (options.file) {
      mkdirSync(dirname(options.file), { recursive: true });
      this.#file = createWriteStream(options.file, { flags: 'w' });
    }
  }

  write(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.#keep) this.#lines.splice(0, this.#lines.length - this.#keep);
    if (this.#file && !this.#file.writableEnded) this.#file.write(`${line}\n`);
    this.options.mirror?.write(`[${this.functionName}] ${line}\n`);
  }

  /** The log file, when there is one. */
  get file(): string | undefined {
    return this.options.file;
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    const file = this.#file;
    if (!file || file.closed) return Promise.resolve();
    return new Promise((resolve) => file.end(resolve));
  }

  lines(): readonly string[] {
    return [...this.#lines];
  }

  /** Lines that are JSON objects (Powertools log lines and EMF metric blobs). */
  records(): Record<string, unknown>[] {
    return this.#lines.flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        const value = JSON.parse(line) as unknown;
        return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  /** Log records whose `message` is `message`, oldest first. */
  messages(message: string): Record<string, unknown>[] {
    return this.records().filter((record) => record['message'] === message);
  }
}
