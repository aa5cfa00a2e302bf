import { createServer, type AddressInfo } from 'node:net';

/** Which of the stack's fixed ports: `npm start` names its option (`--port`, `--control-port`). */
export type StackPort = 'gateway' | 'control';

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly role: StackPort,
  ) {
    super(`the ${role} port ${port} is in use on 127.0.0.1`);
    this.name = 'PortInUseError';
  }
}

export interface PortReservation {
  /** The port held: the one asked for, or the free one picked for 0. */
  readonly port: number;
  /** Frees the port for the server that owns it; safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Holds a port on 127.0.0.1 from the first step of the stack's start until its server
 * listens, so that a port in use (a stack already running) is found before anything is
 * written, and stays ours while the bundles build. Port 0 picks a free port and holds it
 * too: the configuration names the gateway's URL (an MCP route's resource) before the
 * gateway listens.
 */
export async function reservePort(port: number, role: StackPort): Promise<PortReservation> {
  const holder = createServer();
  await new Promise<void>((resolve, reject) => {
    holder.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, role) : error));
    holder.listen({ port, host: '127.0.0.1', exclusive: true }, resolve);
  });
  let released: Promise<void> | undefined;
  return { port: (holder.address() as AddressInfo).port, release: () => (released ??= new Promise((resolve) => holder.close(() => resolve()))) };
}
