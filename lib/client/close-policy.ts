import { CloseCode } from '../protocol/close-codes.js';

/** What the client does after its connection closed with a given code. */
export type AfterClose = 'reconnect' | 'stop' | 'reconnect-if-new-token';

/**
 * Reconnect policy by close code (docs/protocol.md lists the codes):
 * - 4003 session taken over: another connection now owns the session; coming back would take
 *   it back and start a ping-pong between two tabs. Stop.
 * - 1000 normal: the server closed on purpose (`Broadcaster.disconnect`). Stop.
 * - 1008 policy violation (auth failure) and 4004 credentials expired: retrying with the same
 *   credentials fails the same way. Reconnect (and resume) only if the token provider yields a
 *   different token; with a fixed token, or none, stop.
 * - Everything else reconnects with backoff and resumes: 1012 restart (another instance takes
 *   over), 4001 slow consumer (resume catches up), 4002 rate limited, 4005 too many frames
 *   waiting, and 1013 try again later
 *   (the backoff slows the retries), 1006 lost connection, 1009, 1011, 4502.
 */
export function afterClose(code: number): AfterClose {
  switch (code) {
    case CloseCode.SessionTakenOver:
    case CloseCode.Normal:
      return 'stop';
    case CloseCode.PolicyViolation:
    case CloseCode.CredentialsExpired:
      return 'reconnect-if-new-token';
    default:
      return 'reconnect';
  }
}
