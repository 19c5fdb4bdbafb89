import { HttpException, Logger } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { encodeError, encodeProtocolError } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { FrameId } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';

const logger = new Logger('DistributedWs');
// What Nest's guards throw in a ws context when canActivate() returns false.
const GUARD_DENIAL = 'Forbidden resource';

/**
 * Turns anything thrown by a handler, a hook, a guard or a pipe into the `error` frame the
 * client gets. Unknown errors are logged with their stack here and answered with a generic
 * message: internals never reach the client.
 */
export function errorFrameFor(error: unknown, id: FrameId | undefined): string {
  if (error instanceof ProtocolError) {
    return encodeProtocolError(error, id);
  }
  if (error instanceof WsException) {
    const detail = error.getError();
    if (typeof detail === 'string') {
      const code = detail === GUARD_DENIAL ? ErrorCode.Forbidden : ErrorCode.Rejected;
      return encodeError(id, code, detail);
    }
    if (detail && typeof detail === 'object') {
      const { code, message, ...extra } = detail as Record<string, unknown>;
      return encodeError(
        id,
        typeof code === 'string' ? code : ErrorCode.Rejected,
        typeof message === 'string' ? message : error.message,
        extra,
      );
    }
  }
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : String((response as { message?: unknown }).message ?? error.message);
    return encodeError(id, ErrorCode.HttpException, message, { status: error.getStatus() });
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return encodeError(id, ErrorCode.Internal, 'Internal server error.');
}
