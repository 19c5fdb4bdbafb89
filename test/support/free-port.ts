import { createServer } from 'node:net';

/** Options of {@link freePort}. */
export interface FreePortOptions {
  /** Highest acceptable port: Redis Cluster needs port + 10000 for its bus. @default 55535 */
  max?: number;
  /** Offsets from the port that must be free too (`[10000]` for a cluster bus). @default [] */
  alsoFree?: number[];
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on 127.0.0.1 right now, picked at random in [20000, max] so that parallel
 * Jest workers rarely collide (a collision is caught by the caller's start-up retry).
 * @throws Error when no free port was found in 50 tries.
 */
export async function freePort(options: FreePortOptions = {}): Promise<number> {
  const { max = 55535, alsoFree = [] } = options;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * (max - 20000));
    if (!(await isFree(port))) continue;
    const others = await Promise.all(alsoFree.map((offset) => isFree(port + offset)));
    if (others.every(Boolean)) return port;
  }
  throw new Error(`No free TCP port found in [20000, ${max}].`);
}
