import { createServer } from 'node:net';

/**
 * Below the ranges the kernel takes the source ports of outgoing connections from (Linux 32768–60999, macOS and
 * Windows 49152–65535): a port the kernel hands out for `listen(0)` is in that range, and one of the many connections
 * a test run opens could be given it before the server that asked for it listens (EADDRINUSE, seen under load).
 */
const FIRST = 20_000;
const LAST = 32_767;
const ATTEMPTS = 100;

/** A port nobody listens on right now, outside the outgoing range, so parallel test files and their connections never collide. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${FIRST} and ${LAST} after ${ATTEMPTS} tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
