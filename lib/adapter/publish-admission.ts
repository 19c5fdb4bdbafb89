import { CloseCode } from '../protocol/close-codes.js';
import { encodeError } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { FrameId } from '../protocol/frames.js';
import type { Connection } from './connection.js';

const RATE_LIMITED_MESSAGE = 'Publishing too fast: slow down and retry.';

/**
 * Spends a token of the connection's budget on a `publish` frame. Over budget, the frame is
 * answered with `DWS_ERR_RATE_LIMITED` (and `retryAfterMs`), and after `closeAfter` refusals in a
 * row the connection is closed with 4002.
 * @returns whether the publish may go on.
 */
export function admitPublish(connection: Connection, id: FrameId | undefined): boolean {
  const verdict = connection.publishLimiter?.take();
  if (!verdict || verdict.allowed) return true;
  const { retryAfterMs } = verdict;
  connection.send(encodeError(id, ErrorCode.RateLimited, RATE_LIMITED_MESSAGE, { retryAfterMs }));
  if (verdict.close) {
    connection.closing = true;
    // After the answers to earlier frames: an accepted publish is acked before the close.
    void connection.queue.then(() =>
      connection.close(CloseCode.RateLimited, 'publish rate limit exceeded'),
    );
  }
  return false;
}
