import type { RuntimeOptions } from '../distributed-ws.config.js';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import type { RateLimitedFrame } from '../auth.options.js';
import type { DwsMetrics, ReceivedFrameKind } from '../metrics/metrics.interface.js';
import { decodeClientFrame, type FrameShape } from '../protocol/codec.js';
import { CloseCode } from '../protocol/close-codes.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type ClientFrame, ReservedEvent } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import type { Connection } from './connection.js';
import { errorFrameFor } from './exception-mapper.js';
import { dispatchToGateway } from './gateway-dispatch.js';
import { admitFrame } from './frame-admission.js';
import type { ReservedEventsHandler } from './reserved-events.handler.js';
import type { PublishInFlight } from './publish.handler.js';
import type { ResumeHandler } from './resume.handler.js';

type ReservedRun = (
  parts: RouterParts,
  connection: Connection,
  frame: ClientFrame,
) => Promise<string | PublishInFlight | null>;

/**
 * Client events the adapter handles itself, in the connection's order; each is counted, and
 * charged, under its own name. Any other event goes to the gateways.
 */
const RESERVED: ReadonlyMap<string, ReservedRun> = new Map<string, ReservedRun>([
  [ReservedEvent.Subscribe, ({ reserved }, c, f) => reserved.subscribe(c, f)],
  [ReservedEvent.Unsubscribe, ({ reserved }, c, f) => reserved.unsubscribe(c, f)],
  [ReservedEvent.Publish, ({ reserved }, c, f) => reserved.publish(c, f)],
  [ReservedEvent.Resume, ({ resume }, c, f) => resume.resume(c, f)],
  [ReservedEvent.Presence, ({ reserved }, c, f) => reserved.presence(c, f)],
  [ReservedEvent.Refresh, ({ reserved }, c, f) => reserved.refresh(c, f)],
]);

// What a waiting frame costs besides its bytes (measured with bench/memory-budget.ts): about 64
// bytes per parsed object or array, and about 9 KiB for a gateway event while Nest's handler
// pipeline (context, interceptors, observables) holds it.
const BYTES_PER_CONTAINER = 64;
const GATEWAY_EVENT_BYTES = 9 * 1024;

/**
 * What a frame waiting for its answer counts against `maxPendingBytes`: its bytes as received,
 * its objects and arrays once parsed, and a gateway event's handler pipeline.
 */
export function pendingWeight(bytes: number, containers: number, gatewayEvent: boolean): number {
  return bytes + containers * BYTES_PER_CONTAINER + (gatewayEvent ? GATEWAY_EVENT_BYTES : 0);
}

/** What routing a frame needs. */
export interface RouterParts {
  runtime: RuntimeOptions;
  reserved: ReservedEventsHandler;
  resume: ResumeHandler;
  topics: TopicRegistry;
  metrics: DwsMetrics;
}

/**
 * Every client frame's way in: decoded, charged to the connection's rate limit (and answered with
 * an error frame when either refuses it), then a reserved event for the library's handlers, in the connection's order,
 * or any other event for the gateways' `@SubscribeMessage()` handlers. What a connection has
 * sent and not had answered is bounded (`maxPendingFrames`, `maxPendingBytes`): the server never
 * holds an unbounded backlog of one client's work.
 */
export class FrameRouter {
  /** Filled by each decode (one frame at a time: routing is synchronous up to the queue). */
  private readonly shape: FrameShape = { containers: 0 };

  constructor(private readonly parts: RouterParts) {}

  route(connection: Connection, data: Buffer, isBinary: boolean): void {
    // Once the server decided to close (rate limit, slow consumer, take-over) nothing more is served.
    if (!connection.open || connection.closing) return;
    const { metrics, runtime } = this.parts;
    const frame = isBinary
      ? new ProtocolError(
          ErrorCode.BinaryFrame,
          'Binary frames are not supported: send JSON text frames.',
        )
      : decodeClientFrame(data.toString('utf8'), runtime.options.maxDepth, this.shape);
    if (frame instanceof ProtocolError) {
      metrics.frameReceived('invalid');
      if (!this.admit(connection, 'invalid', frame.id)) return;
      connection.send(errorFrameFor(frame, frame.id, metrics));
      return;
    }
    const run = RESERVED.get(frame.event);
    const kind = run ? (frame.event as ReceivedFrameKind) : 'event';
    metrics.frameReceived(kind);
    // Checked on arrival, before queueing: a flood is refused without costing a broker call.
    if (!this.admit(connection, kind, frame.id)) return;
    // What the frame will hold while it waits: its text, its parsed objects, a handler's pipeline.
    const size = pendingWeight(data.length, this.shape.containers, kind === 'event');
    if (!this.hold(connection, size)) return;
    if (run) return this.inOrder(connection, frame, size, () => run(this.parts, connection, frame));
    dispatchToGateway(connection, frame, this.parts.topics, metrics, () =>
      connection.answered(size),
    );
  }

  private admit(connection: Connection, kind: RateLimitedFrame, id: ClientFrame['id']): boolean {
    const { rateLimit } = this.parts.runtime.options;
    if (!rateLimit || admitFrame(connection, kind, rateLimit.cost, id)) return true;
    this.parts.metrics.error(ErrorCode.RateLimited);
    return false;
  }

  /**
   * Counts a frame as waiting for its answer; past `maxPendingFrames` or `maxPendingBytes` the
   * connection is closed with 4005 instead.
   */
  private hold(connection: Connection, size: number): boolean {
    const { maxPendingFrames, maxPendingBytes } = this.parts.runtime.options;
    if (
      connection.pendingFrames + 1 > maxPendingFrames ||
      connection.pendingBytes + size > maxPendingBytes
    ) {
      connection.closing = true;
      connection.close(
        CloseCode.TooManyPendingFrames,
        'too many frames waiting: wait for answers before sending more',
      );
      return false;
    }
    connection.pendingFrames++;
    connection.pendingBytes += size;
    return true;
  }

  /**
   * Reserved events of a connection run one after the other, in arrival order. Those still
   * waiting when the socket closes are dropped unrun: nobody would read their answers. A publish
   * holds the line only until the broker has it (`PublishInFlight`): its ack follows when the
   * broker confirms, while the next frames run.
   */
  private inOrder(
    connection: Connection,
    frame: ClientFrame,
    size: number,
    run: () => Promise<string | PublishInFlight | null>,
  ): void {
    const { metrics } = this.parts;
    const answer = (ack: string | null) => {
      if (ack !== null && frame.id !== undefined) {
        connection.send(ack);
        metrics.framesSent('ack');
      }
      connection.answered(size);
    };
    const fail = (error: unknown) => {
      connection.send(errorFrameFor(error, frame.id, metrics));
      connection.answered(size);
    };
    connection.queue = connection.queue
      .then(() => (connection.open ? run() : null))
      .then((result) => {
        if (result === null || typeof result === 'string') return answer(result);
        void result.ack.then(answer, fail);
      }, fail);
  }
}
