import type { FrameId } from './frames.js';
import type { ErrorCode } from './error-codes.js';

/**
 * An error answered to the client as an `error` frame. Thrown or returned inside the library
 * wherever a client action is refused; never escapes to the process.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly id?: FrameId,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
