import { isObservable } from 'rxjs';
import type { TopicRegistry } from '../explorer/topic-registry.js';
import type { DwsMetrics } from '../metrics/metrics.interface.js';
import { encodeAck } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type ClientFrame, ReservedEvent } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import type { Connection } from './connection.js';
import { errorFrameFor } from './exception-mapper.js';
import { type GatewayFrame, gatewayFrame } from './gateway-frame.js';

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
 * `ack` carrying the frame's `id`, and its exceptions `error` frames carrying it too (Nest's
 * exception layer runs first; the module's interceptor and `GatewaySocket` find the frame in
 * `gatewayFrame`).
 * @param settled called once, when the frame is answered or known to get no answer: the
 *   handler's promise settled, or its observable emitted, failed or completed.
 */
export function dispatchToGateway(
  connection: Connection,
  frame: ClientFrame,
  topics: TopicRegistry,
  metrics: DwsMetrics,
  settled: () => void,
): void {
  const { id, event } = frame;
  let pending = true;
  const settle = () => {
    if (pending) settled();
    pending = false;
  };
  // Answered first, settled after: a close waiting for the answers comes behind them.
  const fail = (error: unknown) => {
    connection.send(errorFrameFor(error, id, metrics));
    settle();
  };
  const handler = connection.handlers.get(event);
  if (!handler) {
    const message = SERVER_EVENTS.has(event)
      ? `"${event}" is sent by the server, not by clients.`
      : `No handler for event "${event.slice(0, 64)}".`;
    return fail(new ProtocolError(ErrorCode.UnknownEvent, message));
  }
  const payloadError = topics.event(event)?.validatePayload(frame.data);
  if (payloadError) return fail(new ProtocolError(ErrorCode.InvalidPayload, payloadError));
  const context: GatewayFrame = { connection, id, admitted: false, failed: false, metrics };
  const reply = (value: unknown) => {
    if (id !== undefined) {
      connection.send(encodeAck(id, value));
      metrics.framesSent('ack');
    } else if (value !== undefined && value !== null) {
      connection.send(JSON.stringify(value));
      metrics.framesSent('event');
    }
    settle();
  };
  gatewayFrame.run(context, () => {
    const manualAck = handler.isAckHandledManually ? reply : undefined;
    Promise.resolve()
      .then(() => handler.callback(frame.data, event, manualAck))
      .then((result) => {
        if (context.failed) return settle();
        if (isObservable(result)) {
          // With the module's interceptor in the chain, this is how every handler's result
          // arrives, and the handler runs on subscription. A manual ack answers by itself.
          result.subscribe({
            next: manualAck ? settle : reply,
            error: fail,
            complete: settle,
          });
        } else if (!context.admitted) {
          // A guard refused or threw, before the interceptor: a filter has answered.
          settle();
        } else if (!manualAck) {
          reply(result);
        } else {
          settle();
        }
      })
      .catch(fail);
  });
}
