import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a local server, with an off switch: while "down"
 * it cuts every open connection and every new one at once, as a crashed or unreachable
 * host would (the client sees its connection reset). The demo configuration reaches the
 * corporate token endpoint through one, so the local stack can show
 * `exchange_unavailable` (503 with Retry-After) and its recovery without stopping the
 * authorization server itself.
 */
export class SwitchableRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #down = false;
  #port = 0;

  private constructor(private readonly targetPort: number) {
    this.#server = createServer((client) => this.#relay(client));
  }

  static async start(targetPort: number): Promise<SwitchableRelay> {
    const relay = new SwitchableRelay(targetPort);
    await new Promise<void>((resolve) => relay.#server.listen(0, '127.0.0.1', resolve));
    relay.#port = (relay.#server.address() as AddressInfo).port;
    return relay;
  }

  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:<port>` */
  get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  down(): void {
    this.#down = true;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  up(): void {
    this.#down = false;
  }

  stop(): Promise<void> {
    this.down();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #relay(client: Socket): void {
    if (this.#down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
