import WebSocket from 'ws';

/** A frame as received, parsed. */
export interface Frame {
  event: string;
  id?: string | number;
  data?: any;
}

/**
 * A raw `ws` client for tests: records every frame, and waits for frames with bounded timeouts
 * (never fixed sleeps). It speaks the protocol exactly as docs/protocol.md describes it.
 */
export class WsTestClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private nextId = 1;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? { event: '<binary>' } : JSON.parse(data.toString()));
      this.wake();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  /** Connects and waits for the `welcome` frame. */
  static async connect(url: string, options?: WebSocket.ClientOptions): Promise<WsTestClient> {
    const ws = new WebSocket(url, options);
    const client = new WsTestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await client.next((f) => f.event === 'welcome');
    return client;
  }

  get welcome(): Frame {
    return this.frames.find((f) => f.event === 'welcome')!;
  }

  /** Messages (`event: "message"`) received so far, optionally on one topic. */
  messages(topic?: string): any[] {
    return this.frames
      .filter((f) => f.event === 'message' && (topic === undefined || f.data.topic === topic))
      .map((f) => f.data);
  }

  /** The positions a raw client keeps, by the rule of docs/protocol.md ("Resume"). */
  positions(): string[] {
    const positions: string[] = [];
    for (const frame of this.frames) {
      if (frame.event === 'welcome' || frame.event === 'positions') {
        positions.splice(0, Infinity, ...frame.data.positions);
      }
      if (frame.event === 'message')
        positions[Number(frame.data.offset.split(':')[0])] = frame.data.offset;
    }
    return positions;
  }

  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void {
    this.ws.send(data, options ?? {});
  }

  /** Sends `{event, id, data}` and resolves with the `ack` or `error` frame carrying that id. */
  async request(event: string, data?: unknown, timeout = 5000): Promise<Frame> {
    const id = `r${this.nextId++}`;
    this.ws.send(JSON.stringify({ event, id, data }));
    return this.next((f) => f.id === id && (f.event === 'ack' || f.event === 'error'), timeout);
  }

  /**
   * Sends `resume` for the session `previous` was welcomed to (its welcome's token), on `topics`
   * from `positions`; resolves with the answer, as {@link request} does.
   */
  async resumeSessionOf(
    previous: WsTestClient,
    topics: string[],
    positions: string[],
  ): Promise<Frame> {
    return this.request('resume', { token: previous.welcome.data.sessionToken, topics, positions });
  }

  /** The first frame (already received or to come) matching `predicate`. */
  async next(predicate: (frame: Frame) => boolean, timeout = 5000): Promise<Frame> {
    await this.until(() => this.frames.some(predicate), timeout, 'a matching frame');
    return this.frames.find(predicate)!;
  }

  /** Waits until `condition` holds, re-checked on every frame and close. */
  async until(condition: () => boolean, timeout = 5000, what = 'the condition'): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Timed out after ${timeout} ms waiting for ${what}. Last frames: ${JSON.stringify(this.frames.slice(-3))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeout = 5000): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closed !== null, timeout, 'the close');
    return this.closed!;
  }

  close(): void {
    if (this.ws.readyState <= WebSocket.OPEN) this.ws.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
