import type { LogFields, LogSink, MetricDimensions, MetricSink } from '../../functions/shared/telemetry/telemetry-sinks.js';

export interface RecordedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

export interface RecordedMetric {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
  readonly dimensions?: MetricDimensions;
}

/** A log sink and a metric sink that keep everything written to them, for assertions and canary searches. */
export class RecordingSinks {
  readonly lines: RecordedLine[] = [];
  readonly metricsWritten: RecordedMetric[] = [];
  flushes = 0;

  readonly log: LogSink = {
    debug: (message, fields = {}) => void this.lines.push({ level: 'debug', message, fields }),
    info: (message, fields = {}) => void this.lines.push({ level: 'info', message, fields }),
    warn: (message, fields = {}) => void this.lines.push({ level: 'warn', message, fields }),
    error: (message, fields = {}) => void this.lines.push({ level: 'error', message, fields }),
    // A decision line also publishes the request's metrics (decision-line.ts): counted as a flush.
    decision: (level, message, fields) => {
      this.lines.push({ level, message, fields });
      this.flushes += 1;
    },
  };

  readonly metrics: MetricSink = {
    count: (name, dimensions, value = 1) => void this.metricsWritten.push({ name, unit: 'Count', value, ...(dimensions ? { dimensions } : {}) }),
    timing: (name, milliseconds, dimensions) => void this.metricsWritten.push({ name, unit: 'Milliseconds', value: milliseconds, ...(dimensions ? { dimensions } : {}) }),
    flush: () => void (this.flushes += 1),
  };

  /** The sum of a metric's values, whatever its dimensions. */
  count(name: string): number {
    return this.metricsWritten.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0);
  }

  /** The fields of every line with this message. */
  fieldsOf(message: string): LogFields[] {
    return this.lines.filter((l) => l.message === message).map((l) => l.fields);
  }

  /** Everything written, as one string, for canary searches. */
  dump(): string {
    return JSON.stringify({ lines: this.lines, metrics: this.metricsWritten });
  }
}
