import net from 'node:net';

/**
 * Records every outgoing TCP connection this process starts (http, https, the AWS SDK,
 * undici: all of them end in `net.Socket.prototype.connect`), and refuses any that would
 * leave the loopback interface. The security suites compare what was contacted with what
 * the configuration lists: "0 calls to unlisted hosts" is counted here, at the socket,
 * not inferred from the servers' own request logs.
 */

export interface EgressAttempt {
  readonly host: string;
  readonly port: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

type ConnectArgs = unknown[];

function targetOf(args: ConnectArgs): EgressAttempt | undefined {
  // net.createConnection hands over its already-normalised [options, callback] array.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: Number(first) };
  }
  if (typeof first === 'string') return undefined; // a pipe path: not network egress
  if (first && typeof first === 'object') {
    const options = first as { path?: unknown; host?: unknown; port?: unknown };
    if (typeof options.path === 'string') return undefined;
    return { host: typeof options.host === 'string' ? options.host : 'localhost', port: Number(options.port ?? 0) };
  }
  return undefined;
}

export class EgressRecorder {
  readonly attempts: EgressAttempt[] = [];
  private readonly allowed = new Set<string>();
  private original: typeof net.Socket.prototype.connect | undefined;

  /** Starts recording (idempotent). */
  install(): this {
    if (this.original) return this;
    const original = net.Socket.prototype.connect;
    this.original = original;
    const attempts = this.attempts;
    net.Socket.prototype.connect = function patchedConnect(this: net.Socket, ...args: ConnectArgs) {
      const target = targetOf(args);
      if (target) {
        attempts.push(target);
        if (!LOOPBACK.has(target.host)) {
          // Never leave the machine, whatever the code under test asks for.
          process.nextTick(() => this.destroy(new Error(`test egress guard: connection to ${target.host}:${target.port} refused`)));
          return this;
        }
      }
      return (original as (...a: ConnectArgs) => net.Socket).apply(this, args);
    } as typeof net.Socket.prototype.connect;
    return this;
  }

  uninstall(): void {
    if (this.original) net.Socket.prototype.connect = this.original;
    this.original = undefined;
  }

  /** Declares a loopback server the configuration (or the test infrastructure) names. */
  allow(url: string | number): void {
    const port = typeof url === 'number' ? url : Number(new URL(url).port);
    this.allowed.add(String(port));
  }

  /** Attempts to anything but a listed loopback port, from `since` (an index into attempts). */
  unlisted(since = 0): EgressAttempt[] {
    return this.attempts.slice(since).filter((a) => !LOOPBACK.has(a.host) || !this.allowed.has(String(a.port)));
  }

  /** Attempts to one port, from `since`. */
  to(port: number, since = 0): EgressAttempt[] {
    return this.attempts.slice(since).filter((a) => a.port === port);
  }

  get mark(): number {
    return this.attempts.length;
  }
}
