import type { RuntimeOptions } from '../../distributed-ws.config.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ResumeAck } from '../../protocol/frames.js';
import { ProtocolError } from '../../protocol/protocol.error.js';
import type { PresenceTracker } from '../../presence/presence.tracker.js';
import type { SessionClaims, SessionTokens } from '../../security/session-token.js';
import type { Connection } from '../connection.js';
import { errorDetailsFor } from '../exception-mapper.js';
import { checkPattern, type TopicPolicy } from '../../explorer/topic-policy.js';

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
  ) {}

  /**
   * The session a token proves, for the user of `connection`.
   * @throws ProtocolError (`DWS_ERR_INVALID_SESSION`) for a forged token or another user's.
   */
  claimsOf(connection: Connection, token: unknown): SessionClaims {
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
    return claims;
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
