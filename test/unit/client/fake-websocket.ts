/**
 * A scripted WebSocket for unit tests of the SDK: records what the client sends and lets the
 * test play the server (frames, closes) synchronously.
 */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  readyState = 0;
  readonly sent: any[] = [];
  closedByClient: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    /** The subprotocols offered (a browser's WebSocket takes no headers). */
    readonly protocols?: string[],
  ) {
    FakeWebSocket.instances.push(this);
  }

  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  /** Server side: accept the connection and send a welcome. */
  welcome(connectionId = 'c1', positions = ['0:e:0-0', '1:e:0-0'], heartbeat = 25_000): void {
    this.readyState = 1;
    this.onopen?.({});
    this.frame({
      event: 'welcome',
      data: {
        connectionId,
        sessionToken: `token-${connectionId}`,
        positions,
        heartbeat,
        shards: positions.length,
      },
    });
  }

  frame(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  message(topic: string, offset: string, payload: unknown): void {
    this.frame({ event: 'message', data: { topic, offset, payload } });
  }

  /** The last frame the client sent with this event. */
  lastSent(event: string): any {
    return [...this.sent].reverse().find((f) => f.event === event);
  }

  ack(event: string, data: unknown): void {
    this.frame({ event: 'ack', id: this.lastSent(event).id, data });
  }

  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}
