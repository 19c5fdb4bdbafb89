import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { directFd, writeDirect } from './direct-write.js';

/**
 * Checks that this runtime's sockets are what direct writes expect, and resolves to null, or
 * to why they are not (said in the log line that turns them off).
 */
export type DirectWriteSelfTest = () => Promise<string | null>;

const PROBE = Buffer.from('dws direct-write self-test');
const TIMEOUT_MS = 2000;

let verdict: Promise<string | null> | undefined;

/**
 * The default self-test, run once per process: on a loopback TCP connection, the accepted
 * socket must have a native handle with a numeric descriptor (Node's private `_handle.fd`,
 * which direct-write.ts reads), the stream state direct writes consult (`writableLength`,
 * `writableCorked`), and bytes written to that descriptor must reach the peer, whole.
 */
export const selfTestDirectWrites: DirectWriteSelfTest = () => (verdict ??= runSelfTest());

async function runSelfTest(): Promise<string | null> {
  const listener = createServer();
  const sockets: Socket[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(resolve, TIMEOUT_MS, `no answer on loopback within ${TIMEOUT_MS} ms`);
  });
  try {
    return await Promise.race([probe(listener, sockets), timedOut]);
  } catch (error) {
    return `the self-test failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    clearTimeout(timer);
    sockets.forEach((s) => s.destroy());
    listener.close();
  }
}

async function probe(listener: Server, sockets: Socket[]): Promise<string | null> {
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const peer = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  sockets.push(peer);
  const [socket] = (await accepted) as [Socket];
  sockets.push(socket);
  // A failure shows as the timeout (or a wrong answer), never as an unhandled 'error'.
  for (const s of sockets) s.on('error', () => undefined);
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  if (typeof handle !== 'object' || handle === null) return 'a socket has no native handle';
  if (typeof handle.fd !== 'number' || handle.fd < 0) return 'a socket handle has no descriptor';
  if (typeof socket.writableLength !== 'number' || typeof socket.writableCorked !== 'number') {
    return 'a socket lacks writableLength or writableCorked';
  }
  const fd = directFd(socket);
  if (fd < 0) return 'this runtime is not Node on a POSIX system';
  const received: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => received.push(chunk));
  if (!writeDirect(socket, fd, PROBE)) {
    return 'the descriptor did not take a write';
  }
  while (Buffer.concat(received).length < PROBE.length) await once(peer, 'data');
  return Buffer.concat(received).equals(PROBE) ? null : 'the peer received other bytes';
}

/**
 * Whether connections write deliveries to their descriptor: `enabled` (the `directWrites`
 * option) and the self-test passed. When it fails, one warning says why; deliveries then go
 * through the socket stream, as with `directWrites: false`.
 */
export async function resolveDirectWrites(
  enabled: boolean,
  selfTest: DirectWriteSelfTest,
  logger = new Logger('DistributedWs'),
): Promise<boolean> {
  if (!enabled) return false;
  const problem = await selfTest().catch((error: unknown) =>
    error instanceof Error ? error.message : String(error),
  );
  if (problem === null) return true;
  logger.warn(
    `Direct writes are off: ${problem}. Deliveries go through the socket stream, as with directWrites: false.`,
  );
  return false;
}
