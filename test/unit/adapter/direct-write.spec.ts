import { afterEach, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import * as tls from 'node:tls';
import { directFd, writeDirect } from '../../../lib/adapter/direct-write.js';
import { selfSignedCert } from '../../support/tls-cert.js';
import { waitFor } from '../../support/wait-for.js';

/** A connected pair over loopback TCP: `server` is the accepted side, written to here. */
interface Pair {
  server: Socket;
  client: Socket;
  /** `server`'s descriptor for direct writes. */
  fd: number;
  /** Everything the client has read so far. */
  received: () => Buffer;
  /** Resolves once the client has read `length` bytes in all. */
  receivedLength: (length: number) => Promise<unknown>;
}

const open: { close(): void }[] = [];
afterEach(() => open.splice(0).forEach((s) => s.close()));

async function listen(pauseOnConnect = false): Promise<Server> {
  const listener = createServer({ pauseOnConnect });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  open.push(listener);
  return listener;
}

/** `pauseOnConnect`: the accepted side does not read (it will not notice a reset by reading). */
async function pair(pauseOnConnect = false, listener?: Server): Promise<Pair> {
  listener ??= await listen(pauseOnConnect);
  const accepted = once(listener, 'connection');
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const [server] = (await accepted) as [Socket];
  open.push({ close: () => (server.destroy(), client.destroy()) });
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  const received = () => Buffer.concat(chunks);
  const receivedLength = (length: number) =>
    waitFor(() => received().length === length, { timeout: 10_000, message: `${length} bytes` });
  return { server, client, fd: directFd(server), received, receivedLength };
}

/** `count` frames of the given size, each starting with its index and filled with it. */
function frames(count: number, size: (i: number) => number): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const frame = Buffer.alloc(size(i), i % 251);
    frame.writeUInt32BE(i, 0);
    return frame;
  });
}

describe('writeDirect', () => {
  it('writes each frame whole to the descriptor, in order, bypassing the stream', async () => {
    const { server, fd, received, receivedLength } = await pair();
    expect(fd).toBeGreaterThan(0);
    const sent = frames(200, (i) => 4 + ((i * 37) % 2000));
    for (const frame of sent) {
      expect(writeDirect(server, fd, frame)).toBe(true);
      expect(server.writableLength).toBe(0);
    }
    const expected = Buffer.concat(sent);
    await receivedLength(expected.length);
    expect(received().equals(expected)).toBe(true);
    // Nothing went through the stream (it counts only its own writes).
    expect(server.bytesWritten).toBe(0);
  });

  it('hands what the kernel refuses to the stream, and keeps the order', async () => {
    const { server, client, fd, received, receivedLength } = await pair();
    client.pause(); // the kernel buffers fill up
    const chunk = 256 * 1024;
    const sent = frames(1024, () => chunk);
    let n = 0;
    while (writeDirect(server, fd, sent[n++])) {
      if (n === sent.length) throw new Error('the kernel took 256 MB without refusing any');
    }
    // The frame the kernel refused (whole or in part) waits in the stream; so do the next
    // ones, instead of going to the descriptor ahead of it.
    const held = server.writableLength;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(chunk);
    for (let i = 0; i < 3; i++) expect(writeDirect(server, fd, sent[n++])).toBe(false);
    expect(server.writableLength).toBe(held + 3 * chunk);

    client.resume();
    const expected = Buffer.concat(sent.slice(0, n));
    await receivedLength(expected.length);
    expect(received().equals(expected)).toBe(true);
    expect(server.writableLength).toBe(0);
  });

  it('sends nothing ahead of what the stream holds, even once the kernel has room', async () => {
    const { server, client, fd, received, receivedLength } = await pair();
    client.pause();
    const sent = frames(1024, () => 256 * 1024);
    let n = 0;
    while (writeDirect(server, fd, sent[n++]));
    // Eight frames more wait in the stream (2 MiB): what the kernel may take in before the
    // client's first read (its buffers can grow meanwhile; CI once saw the stream empty by then
    // when it held only the refused frame) cannot empty it.
    for (let i = 0; i < 8; i++) expect(writeDirect(server, fd, sent[n++])).toBe(false);
    // The client's first read makes room in the kernel before the stream hears of it: a frame
    // written right then would go out ahead of the bytes the stream still holds.
    const marker = Buffer.from('marker');
    let heldAtFirstRead = -1;
    let markerWentDirect: boolean | undefined;
    client.once('data', () => {
      heldAtFirstRead = server.writableLength;
      markerWentDirect = writeDirect(server, fd, marker);
    });
    client.resume();
    const expected = Buffer.concat([...sent.slice(0, n), marker]);
    await receivedLength(expected.length);
    expect(received().equals(expected)).toBe(true);
    expect(heldAtFirstRead).toBeGreaterThan(0);
    expect(markerWentDirect).toBe(false);
  });

  it('leaves a corked socket to the stream, so a batch stays one write', async () => {
    const { server, fd, received, receivedLength } = await pair();
    const sent = frames(3, () => 100);
    server.cork();
    for (const frame of sent) expect(writeDirect(server, fd, frame)).toBe(false);
    expect(server.writableLength).toBe(300);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received().length).toBe(0);
    server.uncork();
    await receivedLength(300);
    expect(received().equals(Buffer.concat(sent))).toBe(true);
  });

  it('never writes to the descriptor of a destroyed socket, which another may have by then', async () => {
    const gone = await pair();
    const listener = await listen();
    gone.server.destroy();
    const next = await pair(false, listener);
    const fdOf = (socket: Socket) => (socket as unknown as { _handle: { fd: number } })._handle.fd;
    // The freed number went to one of the new sockets, so a write to it would land there.
    expect([fdOf(next.client), fdOf(next.server)]).toContain(gone.fd);
    const serverGot: Buffer[] = [];
    next.server.on('data', (chunk: Buffer) => serverGot.push(chunk));
    expect(writeDirect(gone.server, gone.fd, Buffer.from('stale frame'))).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverGot).toEqual([]);
    expect(next.received().length).toBe(0);
  });

  it('reports a peer that is gone as the socket error, without throwing', async () => {
    const { server, client, fd } = await pair(true);
    client.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const failed = once(server, 'error');
    expect(writeDirect(server, fd, Buffer.from('late frame'))).toBe(false);
    const [error] = (await failed) as [NodeJS.ErrnoException];
    expect(['EPIPE', 'ECONNRESET']).toContain(error.code);
  });
});

describe('directFd', () => {
  it("is a plain TCP socket's descriptor", async () => {
    const { server } = await pair();
    expect(directFd(server)).toBe((server as unknown as { _handle: { fd: number } })._handle.fd);
    expect(directFd(server)).toBeGreaterThan(0);
  });

  it('refuses a TLS socket, whose descriptor carries the encrypted stream', async () => {
    const { cert, key } = selfSignedCert();
    const listener = tls.createServer({ cert, key });
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    open.push(listener);
    const accepted = once(listener, 'secureConnection');
    const port = (listener.address() as AddressInfo).port;
    const client = tls.connect({ port, host: '127.0.0.1', ca: cert });
    const [server] = (await accepted) as [tls.TLSSocket];
    open.push({ close: () => (server.destroy(), client.destroy()) });
    // The handle does report a descriptor: writing to it would put plain bytes on the wire.
    expect((server as unknown as { _handle: { fd: number } })._handle.fd).toBeGreaterThan(0);
    expect(directFd(server)).toBe(-1);
  });
});
