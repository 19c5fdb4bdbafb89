import { writeSync } from 'node:fs';
import type { Socket } from 'node:net';

/** What is read of a socket's native handle: its file descriptor (absent or -1 without one). */
interface HandleInternals {
  _handle: { readonly fd?: number } | null;
}

/**
 * Node itself, not on Windows (whose sockets have no descriptor): other runtimes that emulate
 * `net` may give a handle's `fd` another meaning.
 */
const NODE_ON_POSIX =
  process.platform !== 'win32' &&
  (process.versions as Record<string, string | undefined>).bun === undefined &&
  (process.versions as Record<string, string | undefined>).deno === undefined;

/**
 * The file descriptor that frames may be written to directly, or -1: under TLS the handle
 * reports the descriptor of the encrypted connection beneath it, Windows has none, and runtimes
 * other than Node are not trusted with it.
 * Read once per socket: the number stays this socket's for as long as it has a handle, because
 * Node closes the descriptor and drops the handle together (`destroy()`).
 */
export function directFd(socket: Socket): number {
  if (!NODE_ON_POSIX || (socket as { encrypted?: boolean }).encrypted === true) return -1;
  const fd = (socket as unknown as HandleInternals)._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/**
 * Writes `frame` to `socket` with one `write(2)` on `fd` (its `directFd`) when Node holds
 * nothing for the socket (nothing buffered, not corked, not destroyed), and through the stream
 * otherwise or for what the kernel did not take (its send buffer is full: `EAGAIN` or a short
 * write). Bytes therefore leave in the order they were written, and a consumer that falls
 * behind still fills the stream's buffer, which `bufferedAmount` counts.
 *
 * This skips the per-write work of Node's stream (a write request object, a `nextTick` for its
 * completion; decisions.md has the numbers). Any other failure (`EPIPE`, `ECONNRESET`) is left
 * to the stream write that follows, so it surfaces as the socket's `error` event, as before.
 * `socket.bytesWritten` does not count what went this way.
 *
 * @returns true when the whole frame went to the descriptor (the stream's buffer is untouched).
 */
export function writeDirect(socket: Socket, fd: number, frame: Buffer): boolean {
  if (
    fd >= 0 &&
    socket.writableLength === 0 &&
    socket.writableCorked === 0 &&
    (socket as unknown as HandleInternals)._handle !== null
  ) {
    let written = 0;
    try {
      written = writeSync(fd, frame);
    } catch {
      // EAGAIN and the errors the stream reports by itself: the write below handles both.
    }
    if (written === frame.length) return true;
    if (written > 0) frame = frame.subarray(written);
  }
  socket.write(frame);
  return false;
}
