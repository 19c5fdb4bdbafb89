import { WsException } from '@nestjs/websockets';
import { WebSocket } from 'ws';
import { errorFrameFor } from './exception-mapper.js';
import { gatewayFrame } from './gateway-frame.js';

// How BaseWsExceptionFilter.emitMessage() starts what it sends to a native WebSocket.
const NEST_EXCEPTION = '{"event":"exception","data":';
// MESSAGES.UNKNOWN_EXCEPTION_MESSAGE in @nestjs/core: what Nest says for any non-WsException.
const NEST_UNKNOWN = 'Internal server error';

/**
 * The sockets this library's adapter creates (`ws`' `WebSocket` server option): `ws`'s own
 * class, with one difference. Nest's ws exception layer answers an exception with
 * `{"event":"exception"}` and no id (nestjs/nest#11433), both when no filter of the application
 * catches it and when one defers to `BaseWsExceptionFilter` with `super.catch()`. Sent for a
 * frame this adapter dispatched, that answer becomes the protocol's `error` frame with the
 * frame's `id`, built from the exception the module's interceptor recorded. Everything else,
 * including what an application filter sends itself, goes out unchanged.
 */
export class GatewaySocket extends WebSocket {
  // ws' overloads: send(data, cb?) and send(data, options, cb?).
  override send(data: unknown, ...rest: unknown[]): void {
    if (typeof data === 'string' && data.startsWith(NEST_EXCEPTION)) {
      const frame = gatewayFrame.getStore();
      if (frame !== undefined && frame.connection.ws === this) {
        frame.failed = true;
        // Nest has logged an unknown exception already (BaseWsExceptionFilter.handleUnknownError).
        const exception = frame.exception ?? exceptionIn(data);
        data = errorFrameFor(exception, frame.id, frame.metrics, { log: false });
      }
    }
    (super.send as (...args: unknown[]) => void)(data, ...rest);
  }
}

/**
 * The exception Nest's answer stands for, when no interceptor saw it (a guard threw before
 * interceptors run): a `WsException` is carried whole, anything else only as Nest's message.
 */
function exceptionIn(text: string): unknown {
  const payload = (JSON.parse(text) as { data: unknown }).data;
  if (payload !== null && typeof payload === 'object') {
    const { status, message, ...rest } = payload as Record<string, unknown>;
    const nestShaped = status === 'error' && typeof message === 'string';
    if (nestShaped && Object.keys(rest).every((key) => key === 'cause')) {
      return message === NEST_UNKNOWN ? new Error(message) : new WsException(message);
    }
  }
  return new WsException(payload as object);
}
