import type { RateLimitedFrame, RateLimitOptions } from '../auth.options.js';
import { CloseCode } from '../protocol/close-codes.js';
import { encodeError } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { FrameId } from '../protocol/frames.js';
import type { Connection } from './connection.js';

/** How long a connection closed for its rate waits for the answers to its admitted frames. */
const ANSWERS_GRACE_MS = 2000;
const RATE_LIMITED_MESSAGE = 'Sending too fast: slow down and retry.';

/**
 * Spends the cost of one client frame from the connection's budget. Over budget, the frame is
 * answered with `DWS_ERR_RATE_LIMITED` (and `retryAfterMs`), and after `closeAfter` refusals in
 * a row the connection is closed with 4002.
 * @returns whether the frame may go on.
 */
export function admitFrame(
  connection: Connection,
  kind: RateLimitedFrame,
  costs: RateLimitOptions['cost'],
  id: FrameId | undefined,
): boolean {
  const verdict = connection.rateLimiter?.take(costs[kind]);
  if (!verdict || verdict.allowed) return true;
  const { retryAfterMs } = verdict;
  connection.send(encodeError(id, ErrorCode.RateLimited, RATE_LIMITED_MESSAGE, { retryAfterMs }));
  if (verdict.close) {
    connection.closing = true;
    // After the answers to the frames admitted before: an accepted publish is acked first.
    connection.afterPending(
      () => connection.close(CloseCode.RateLimited, 'rate limit exceeded'),
      ANSWERS_GRACE_MS,
    );
  }
  return false;
}
