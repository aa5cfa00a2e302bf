import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';

/**
 * A port on 127.0.0.1 where TCP connects hang, for connect-timeout tests without any
 * address but loopback: a child process listens with a backlog of 1 and is stopped
 * (SIGSTOP), so it never accepts; once its accept queue is full the kernel drops new
 * SYNs and a client's connect stays pending until its own timeout.
 */
export interface StalledListener {
  readonly port: number;
  close(): void;
}

function tryConnect(port: number, withinMs: number): Promise<{ socket: Socket; connected: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    const timer = setTimeout(() => resolve({ socket, connected: false }), withinMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket, connected: true });
    });
  });
}

export async function startStalledListener(): Promise<StalledListener> {
  const script =
    "const s = require('node:net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => process.stdout.write(s.address().port + '\\n'));";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(chunk.toString().trim());
  child.kill('SIGSTOP');

  const fillers: Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const { socket, connected } = await tryConnect(port, 150);
    fillers.push(socket);
    if (!connected) break;
  }
  return {
    port,
    close: () => {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
    },
  };
}

/** A loopback port with nothing listening (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
