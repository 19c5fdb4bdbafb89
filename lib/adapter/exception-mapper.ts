import { HttpException, Logger } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { DwsMetrics } from '../metrics/metrics.interface.js';
import { encodeError } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { FrameId } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';

const logger = new Logger('DistributedWs');
// What Nest's guards throw in a ws context when canActivate() returns false.
const GUARD_DENIAL = 'Forbidden resource';

/** What an `error` frame says: a stable code, a message, and optional extra fields. */
export interface ErrorDetails {
  code: string;
  message: string;
  extra?: Record<string, unknown>;
}

/**
 * Turns anything thrown by a handler, a hook, a guard or a pipe into what the client is told.
 * Unknown errors are logged with their stack here (unless `log` is false: someone else did) and
 * answered with a generic message: internals never reach the client.
 */
export function errorDetailsFor(error: unknown, { log = true } = {}): ErrorDetails {
  if (error instanceof ProtocolError) {
    return { code: error.code, message: error.message, extra: error.extra };
  }
  if (error instanceof WsException) {
    const detail = error.getError();
    if (typeof detail === 'string') {
      return {
        code: detail === GUARD_DENIAL ? ErrorCode.Forbidden : ErrorCode.Rejected,
        message: detail,
      };
    }
    if (detail && typeof detail === 'object') {
      const { code, message, ...extra } = detail as Record<string, unknown>;
      return {
        code: typeof code === 'string' ? code : ErrorCode.Rejected,
        message: typeof message === 'string' ? message : error.message,
        extra,
      };
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
    return { code: ErrorCode.HttpException, message, extra: { status: error.getStatus() } };
  }
  if (log) logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { code: ErrorCode.Internal, message: 'Internal server error.' };
}

/**
 * The `error` frame for anything thrown, carrying the client frame's `id`. Every error frame the
 * adapter sends is built here, so this is where they are counted (by code).
 */
export function errorFrameFor(
  error: unknown,
  id: FrameId | undefined,
  metrics: DwsMetrics,
  options: { log?: boolean } = {},
): string {
  const { code, message, extra } = errorDetailsFor(error, options);
  metrics.error(code);
  return encodeError(id, code, message, extra);
}
