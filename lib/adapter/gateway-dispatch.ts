import { isObservable } from 'rxjs';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import type { DwsMetrics } from '../metrics/metrics.interface.js';
import { encodeAck } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type ClientFrame, ReservedEvent } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import type { Connection } from './connection.js';
import { frameContext } from './exception-bridge.js';
import { errorFrameFor } from './exception-mapper.js';

const SERVER_EVENTS = new Set<string>([
  ReservedEvent.Welcome,
  ReservedEvent.Message,
  ReservedEvent.Ack,
  ReservedEvent.Error,
  ReservedEvent.Positions,
]);

/**
 * Runs a gateway's `@SubscribeMessage()` handler for a client frame that is not a reserved
 * event: an unknown event and a payload its `@DescribeEvent` schema refuses are answered with
 * `error` frames; the handler's result (value, promise, observable or manual ack) becomes an
 * `ack` carrying the frame's `id`, and its exceptions `error` frames (through the exception
 * bridge, which finds the frame in `frameContext`).
 */
export function dispatchToGateway(
  connection: Connection,
  frame: ClientFrame,
  topics: TopicRegistry,
  metrics: DwsMetrics,
): void {
  const { id, event } = frame;
  const fail = (error: unknown) => connection.send(errorFrameFor(error, id, metrics));
  const handler = connection.handlers.get(event);
  if (!handler) {
    const message = SERVER_EVENTS.has(event)
      ? `"${event}" is sent by the server, not by clients.`
      : `No handler for event "${event.slice(0, 64)}".`;
    return fail(new ProtocolError(ErrorCode.UnknownEvent, message));
  }
  const payloadError = topics.event(event)?.validatePayload(frame.data);
  if (payloadError) return fail(new ProtocolError(ErrorCode.InvalidPayload, payloadError));
  const context = { connection, id, failed: false, metrics };
  const reply = (value: unknown) => {
    if (id !== undefined) {
      connection.send(encodeAck(id, value));
      metrics.framesSent('ack');
    } else if (value !== undefined && value !== null) {
      connection.send(JSON.stringify(value));
      metrics.framesSent('event');
    }
  };
  frameContext.run(context, () => {
    const manualAck = handler.isAckHandledManually ? reply : undefined;
    Promise.resolve()
      .then(() => handler.callback(frame.data, event, manualAck))
      .then((result) => {
        if (context.failed) return;
        if (isObservable(result)) {
          result.subscribe({ next: reply, error: fail });
        } else if (!manualAck) {
          reply(result);
        }
      })
      .catch(fail);
  });
}
