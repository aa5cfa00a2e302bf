import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

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

/**
 * A loopback port with nothing listening (connection refused). It is taken below the
 * kernel's ephemeral range, so no test server listening on port 0 (and no outgoing
 * connection) can be handed it while the test runs; a freed ephemeral port could be, and
 * once was, on a loaded machine.
 */
export async function closedPort(): Promise<number> {
  const low = ephemeralRangeStart();
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await refuses(port)) return port;
  }
  throw new Error(`no closed loopback port found below ${low}`);
}

function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768; // Linux's default; other systems' ranges start higher
  }
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
