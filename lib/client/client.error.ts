import type { WireErrorCode } from '../protocol/error-codes.js';
import type { ErrorData } from '../protocol/frames.js';

/**
 * Codes the SDK produces itself, next to the server's `DWS_ERR_*` codes. Stable: never renamed,
 * only added.
 */
export const ClientErrorCode = {
  /** No `ack` or `error` arrived within `ackTimeoutMs`. The request may still have taken effect. */
  Timeout: 'DWS_CLIENT_TIMEOUT',
  /**
   * The connection dropped after the request was sent and before its answer. The request may
   * or may not have taken effect (delivery is at-most-once on the wire): check before retrying.
   */
  Disconnected: 'DWS_CLIENT_DISCONNECTED',
  /** `close()` was called, or the server ended the session for good (take-over, auth failure). */
  Closed: 'DWS_CLIENT_CLOSED',
  /** An option or argument is wrong; the message says what to fix. */
  InvalidArgument: 'DWS_CLIENT_INVALID_ARGUMENT',
  /** A frame from the server could not be understood (not JSON, or not a protocol frame). */
  BadServerFrame: 'DWS_CLIENT_BAD_SERVER_FRAME',
  /** A subscription handler (or an event listener) threw; `cause` holds what it threw. */
  HandlerFailed: 'DWS_CLIENT_HANDLER_FAILED',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * Every error the SDK rejects with or emits: a server `error` frame (its `DWS_ERR_*` code and
 * message, plus any extra fields in `details`) or one of {@link ClientErrorCode}.
 *
 * @example
 * try {
 *   await client.publish('chat/rooms/lobby', { text: '' });
 * } catch (error) {
 *   if (error instanceof DwsClientError && error.code === 'DWS_ERR_INVALID_PAYLOAD') showHint();
 * }
 */
export class DwsClientError extends Error {
  constructor(
    /** `DWS_ERR_*` from the server or `DWS_CLIENT_*` from the SDK. */
    readonly code: WireErrorCode | ClientErrorCode,
    message: string,
    /** Extra fields of the server's error frame (e.g. `status` of an HTTP exception). */
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DwsClientError';
  }
}

/** A `DWS_CLIENT_*` error whose message is `what` completed with the cause's message (or a full stop). */
export function failure(code: ClientErrorCode, what: string, cause?: unknown): DwsClientError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '.';
  return new DwsClientError(code, what + detail, {}, { cause });
}

/** The `DwsClientError` of an `error` frame's data. */
export function toClientError(data: unknown): DwsClientError {
  const { code, message, ...details } = (data ?? {}) as Partial<ErrorData>;
  if (typeof code !== 'string') {
    return new DwsClientError(
      ClientErrorCode.BadServerFrame,
      'The server answered with an error frame without a code.',
      { data },
    );
  }
  return new DwsClientError(code, typeof message === 'string' ? message : code, details);
}

/**
 * The request's connection dropped or the client closed: nothing to report, as the next
 * connection (if any) starts again from the client's local state.
 */
export function isConnectionLoss(error: DwsClientError): boolean {
  return error.code === ClientErrorCode.Disconnected || error.code === ClientErrorCode.Closed;
}
