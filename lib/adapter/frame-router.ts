import type { RuntimeOptions } from '../distributed-ws.config.js';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import type { DwsMetrics, ReceivedFrameKind } from '../metrics/metrics.interface.js';
import { decodeClientFrame } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type ClientFrame, ReservedEvent } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import type { Connection } from './connection.js';
import { errorFrameFor } from './exception-mapper.js';
import { dispatchToGateway } from './gateway-dispatch.js';
import { admitPublish } from './publish-admission.js';
import type { ReservedEventsHandler } from './reserved-events.handler.js';
import type { ResumeHandler } from './resume.handler.js';

/** Client events the adapter handles itself; each is counted under its own name. */
const CLIENT_EVENTS: ReadonlySet<string> = new Set([
  ReservedEvent.Subscribe,
  ReservedEvent.Unsubscribe,
  ReservedEvent.Publish,
  ReservedEvent.Resume,
  ReservedEvent.Presence,
]);

/** What routing a frame needs. */
export interface RouterParts {
  runtime: RuntimeOptions;
  reserved: ReservedEventsHandler;
  resume: ResumeHandler;
  topics: TopicRegistry;
  metrics: DwsMetrics;
}

/**
 * Every client frame's way in: decoded (or answered with an error frame), then a reserved
 * event for the library's handlers, in the connection's order, or any other event for the
 * gateways' `@SubscribeMessage()` handlers.
 */
export class FrameRouter {
  constructor(private readonly parts: RouterParts) {}

  route(connection: Connection, data: Buffer, isBinary: boolean): void {
    // Once the server decided to close (rate limit, slow consumer, take-over) nothing more is served.
    if (!connection.open || connection.closing) return;
    const { metrics, reserved } = this.parts;
    const frame = isBinary
      ? new ProtocolError(
          ErrorCode.BinaryFrame,
          'Binary frames are not supported: send JSON text frames.',
        )
      : decodeClientFrame(data.toString('utf8'), this.parts.runtime.options.maxDepth);
    if (frame instanceof ProtocolError) {
      metrics.frameReceived('invalid');
      connection.send(errorFrameFor(frame, frame.id, metrics));
      return;
    }
    metrics.frameReceived(
      CLIENT_EVENTS.has(frame.event) ? (frame.event as ReceivedFrameKind) : 'event',
    );
    switch (frame.event) {
      case ReservedEvent.Subscribe:
        return this.inOrder(connection, frame, () => reserved.subscribe(connection, frame));
      case ReservedEvent.Unsubscribe:
        return this.inOrder(connection, frame, () => reserved.unsubscribe(connection, frame));
      case ReservedEvent.Publish:
        // Checked on arrival, before queueing: a flood is refused without costing a broker call.
        if (!admitPublish(connection, frame.id)) return metrics.error(ErrorCode.RateLimited);
        return this.inOrder(connection, frame, () => reserved.publish(connection, frame));
      case ReservedEvent.Resume:
        return this.inOrder(connection, frame, () => this.parts.resume.resume(connection, frame));
      case ReservedEvent.Presence:
        return this.inOrder(connection, frame, () => reserved.presence(connection, frame));
      default:
        return dispatchToGateway(connection, frame, this.parts.topics, metrics);
    }
  }

  /** Reserved events of a connection run one after the other, in arrival order. */
  private inOrder(
    connection: Connection,
    frame: ClientFrame,
    run: () => Promise<string | null>,
  ): void {
    const { metrics } = this.parts;
    connection.queue = connection.queue.then(run).then(
      (ack) => {
        if (ack === null || frame.id === undefined) return;
        connection.send(ack);
        metrics.framesSent('ack');
      },
      (error) => connection.send(errorFrameFor(error, frame.id, metrics)),
    );
  }
}
