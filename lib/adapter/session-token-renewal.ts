import type { ResolvedDistributedWsOptions } from '../distributed-ws.options.js';
import type { SessionTokens } from '../security/session-token.js';
import type { Connection } from './connection.js';

/** What issuing a connection's token reads of it. */
type TokenHolder = Pick<Connection, 'id' | 'userId' | 'sessionGeneration' | 'tokenExpiresAt'>;

/**
 * A connection's session token: issued in the `welcome` and in each resume's ack, and renewed
 * (same generation, new expiry) in the heartbeat's `positions` frame before it could expire.
 * Renewal keeps this promise: a client that loses its connection can resume for at least
 * `min(retentionMs, sessionTtlMs - 2 × heartbeatIntervalMs)` afterwards (the config checks
 * that this is positive), whatever the age of the connection.
 */
export class SessionTokenIssuer {
  /** A token with less life left than this at a heartbeat is renewed. */
  private readonly renewWithinMs: number;

  constructor(
    private readonly tokens: SessionTokens,
    options: Pick<ResolvedDistributedWsOptions, 'retentionMs' | 'heartbeatIntervalMs'>,
  ) {
    const beat = options.heartbeatIntervalMs;
    // Checked at one heartbeat, the token must still have `keep` left at the next one.
    const keep = Math.min(options.retentionMs, tokens.ttlMs - 2 * beat);
    this.renewWithinMs = keep + beat;
  }

  /** A token of `generation` for the connection's session, remembered on the connection. */
  issue(connection: TokenHolder, generation: number, now = Date.now()): string {
    connection.sessionGeneration = generation;
    connection.tokenExpiresAt = now + this.tokens.ttlMs;
    return this.tokens.issue(
      { sessionId: connection.id, userId: connection.userId, generation },
      now,
    );
  }

  /** A renewed token when the connection's is due (see the class), else null. */
  renewal(connection: TokenHolder, now = Date.now()): string | null {
    if (connection.tokenExpiresAt - now >= this.renewWithinMs) return null;
    return this.issue(connection, connection.sessionGeneration, now);
  }
}
