import type { RuntimeOptions } from '../../distributed-ws.config.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ResumeAck } from '../../protocol/frames.js';
import { ProtocolError } from '../../protocol/protocol.error.js';
import type { PresenceTracker } from '../../presence/presence.tracker.js';
import { randomId, type SessionClaims, type SessionTokens } from '../../security/session-token.js';
import type { SessionGenerationStore } from '../../broker/session-generations.js';
import type { Connection } from '../connection.js';
import { errorDetailsFor } from '../exception-mapper.js';
import { checkPattern, type TopicPolicy } from '../../explorer/topic-policy.js';

/** How far ahead of the backplane's clock an instance's may be (see `claimsOf`). */
const CLOCK_SKEW_MARGIN_MS = 60_000;

/** The subscriptions a resume restores, and those it refused with why. */
export interface AuthorizedTopics {
  readonly accepted: string[];
  readonly rejected: ResumeAck['rejected'];
}

/**
 * The first step of a resume: is this the session's owner, and which of its subscriptions may it
 * have again? Nothing is changed on the connection here.
 */
export class SessionVerification {
  constructor(
    private readonly tokens: SessionTokens,
    private readonly policy: TopicPolicy,
    private readonly presence: PresenceTracker,
    private readonly runtime: RuntimeOptions,
    private readonly generations: SessionGenerationStore,
  ) {}

  /** Confirmations waiting for the end of this turn (`confirmClaim`). */
  private readonly confirming: (() => void)[] = [];

  /** The claim of each connection's latest resume, for {@link releaseClaim}. */
  private readonly claimed = new WeakMap<
    Connection,
    { sessionId: string; generation: number; ttlMs: number; id: string; granted: boolean }
  >();

  /**
   * The session a token proves, for the user of `connection`, claimed for this resume: the
   * session moves to the token's generation + 1 on every instance at once, so that this token
   * and every older one are refused from now on, and of two resumes with one token only one
   * gets here. Runs before anything of the session changes: a refused resume leaves the socket
   * that holds the session open.
   * @returns the token's claims, with `generation` the one this resume claimed.
   * @throws ProtocolError (`DWS_ERR_INVALID_SESSION`) for a forged token, another user's, an
   *   expired one, or one a resume already used (superseded).
   * @throws BrokerUnavailableError when the backplane cannot record the claim (nothing changed).
   */
  async claimsOf(connection: Connection, token: unknown): Promise<SessionClaims> {
    const claims = this.tokens.verify(token);
    if (!claims) {
      throw new ProtocolError(
        ErrorCode.InvalidSession,
        'Session token is invalid: tampered with, truncated or signed with another secret.',
      );
    }
    if (claims.userId !== connection.userId) {
      throw new ProtocolError(ErrorCode.InvalidSession, 'Session token belongs to another user.');
    }
    if (Date.now() >= claims.expiresAt) {
      throw new ProtocolError(
        ErrorCode.InvalidSession,
        `Session token expired at ${new Date(claims.expiresAt).toISOString()} (sessionTtlMs): start a new session.`,
      );
    }
    const generation = claims.generation + 1;
    // Every token this claim supersedes was issued before it, so it expires within a TTL of
    // now; the margin covers instance clocks (which stamp tokens) ahead of Redis's (the TTL).
    const ttlMs = this.tokens.ttlMs + CLOCK_SKEW_MARGIN_MS;
    // Remembered before the answer: a claim whose answer timed out may still land (releaseClaim).
    const id = randomId(9);
    const claim = { sessionId: claims.sessionId, generation, ttlMs, id, granted: false };
    this.claimed.set(connection, claim);
    claim.granted = await this.generations.advance(claims.sessionId, generation, ttlMs, id);
    if (!claim.granted) {
      if (this.claimed.get(connection) === claim) this.claimed.delete(connection);
      throw new ProtocolError(
        ErrorCode.InvalidSession,
        'Session token was superseded: the session was resumed since it was issued. Resume with the token of the latest resume ack.',
      );
    }
    return { ...claims, generation };
  }

  /**
   * The id of the claim `connection`'s resume holds for `generation`, to confirm once its client
   * has the ack's token: the token it presented is then superseded for good. Until this, a
   * resume presenting that token again is accepted (the client whose ack was lost retries with
   * it, and must not lose its session). The id is the payload of the ping whose pong proves it
   * (a pong from an earlier ping must not count).
   * @returns null when there is nothing to confirm.
   */
  claimId(connection: Connection, generation: number): string | null {
    const claim = this.claimed.get(connection);
    return claim?.granted && claim.generation === generation ? claim.id : null;
  }

  /**
   * Records the confirmation of `claimId`'s claim, with the others of this turn of the event
   * loop: the pongs of a wave, read in one turn, are confirmed in one script call. When the
   * session is no longer at this claim, a resume with the same token took it over before this
   * client confirmed (two resumes at once): this socket is then the obsolete one, and is closed
   * with 4003. Best effort when the backplane does not answer.
   */
  confirmClaim(connection: Connection, id: string): void {
    // Not later: until it lands, the token this resume presented may claim the session again.
    if (this.confirming.push(() => this.sendConfirmation(connection, id)) > 1) return;
    setImmediate(() => {
      for (const send of this.confirming.splice(0)) send();
    });
  }

  private sendConfirmation(connection: Connection, id: string): void {
    const claim = this.claimed.get(connection);
    // A later resume on this very connection claimed since: it confirms its own claim.
    if (claim?.id !== id || !claim.granted) return;
    if (connection.sessionGeneration !== claim.generation) return;
    const { sessionId, generation, ttlMs } = claim;
    this.generations.confirm(sessionId, generation, ttlMs, id).then(
      (confirmed) => {
        // Not confirmed, and no later resume of this connection either: another took it over.
        if (!confirmed && connection.id === sessionId && this.claimed.get(connection) === claim) {
          connection.close(CloseCode.SessionTakenOver, 'session resumed on another connection');
        }
      },
      () => undefined,
    );
  }

  /**
   * Gives back the claim of `connection`'s resume, which failed before its ack (the backplane
   * did not answer: close 1013): the token it presented is then still good for the client's
   * next resume. Best effort; a no-op when nothing was claimed or the ack was already sent.
   */
  releaseClaim(connection: Connection): void {
    const claim = this.claimed.get(connection);
    this.claimed.delete(connection);
    // Its ack went out (the issuer recorded the generation): the client holds the new token, and
    // the older ones must stay superseded.
    if (!claim || connection.sessionGeneration === claim.generation) return;
    const { sessionId, generation, ttlMs, id } = claim;
    this.generations.release(sessionId, generation, ttlMs, id).catch(() => undefined);
  }

  /**
   * Authorizes every topic again (hooks see `resuming: true`), in order, up to the room left
   * under `maxSubscriptions`; a refused one is listed in `rejected`, it does not fail the resume.
   */
  async authorize(
    connection: Connection,
    topics: readonly unknown[],
    info: Record<string, unknown>,
  ): Promise<AuthorizedTopics> {
    const { maxTopicLength, maxSubscriptions } = this.runtime.options;
    const accepted: string[] = [];
    const rejected: ResumeAck['rejected'] = [];
    const room = maxSubscriptions - connection.filters.size;
    for (const topic of topics.slice(0, Math.max(0, room))) {
      try {
        const filter = checkPattern(topic, maxTopicLength);
        if (filter instanceof ProtocolError) throw filter;
        if (Object.hasOwn(info, filter)) this.presence.checkInfo(info[filter]);
        const refusal = await this.policy.checkSubscribe(filter, connection, true);
        if (refusal) throw refusal;
        accepted.push(filter);
      } catch (error) {
        const { code, message } = errorDetailsFor(error);
        rejected.push({ topic: String(topic).slice(0, maxTopicLength), code, message });
      }
    }
    return { accepted, rejected };
  }
}
