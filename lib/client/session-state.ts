import type { ResumeAck, ResumeData, WelcomeData } from '../protocol/frames.js';
import type { ClientSession } from './client.options.js';
import { ShardPositions } from './positions.js';

/**
 * The session a client carries from connection to connection: its token, its id and the newest
 * position on each shard, plus whether a `resume` is waiting for its answer.
 */
export class SessionState {
  private token: string | null = null;
  private id: string | null = null;
  private readonly positions = new ShardPositions();
  private pendingResume = false;

  constructor(initial?: ClientSession) {
    if (initial) {
      this.token = initial.token;
      this.positions.replaceAll(initial.positions);
    }
  }

  /** The session's id, or null before the first `welcome`. */
  get connectionId(): string | null {
    return this.id;
  }

  /** Whether a connection should resume (a previous `welcome`, or `options.session`). */
  get canResume(): boolean {
    return this.token !== null;
  }

  /**
   * A `resume` was sent on the current connection and is unanswered. Meanwhile live messages
   * are ones the replay will deliver (the server's snapshot is taken after them), and
   * `positions` frames are the new connection's: taking either would move the positions past
   * the gap, and the dedupe would then drop the replay.
   */
  get resuming(): boolean {
    return this.pendingResume;
  }

  /** What a later client needs to resume, or null before the first `welcome`. */
  snapshot(): ClientSession | null {
    return this.token === null ? null : { token: this.token, positions: this.positions.toArray() };
  }

  /** Adopts the connection's own session (first connection, or a resume the server refused). */
  startFresh(welcome: WelcomeData): void {
    this.pendingResume = false;
    this.token = welcome.sessionToken;
    this.id = welcome.connectionId;
    this.positions.replaceAll(welcome.positions);
  }

  /**
   * The data of a `resume` restoring `topics`; {@link resuming} until answered or lost.
   * Only called when {@link canResume}.
   */
  resumeRequest(topics: string[], info: Record<string, unknown> = {}): ResumeData {
    this.pendingResume = true;
    const data: ResumeData = {
      token: this.token as string,
      topics,
      positions: this.positions.toArray(),
    };
    if (Object.keys(info).length > 0) data.info = info;
    return data;
  }

  /** Adopts the session the server continued. */
  resumed(ack: ResumeAck): void {
    this.pendingResume = false;
    this.token = ack.sessionToken;
    this.id = ack.connectionId;
  }

  /** The connection is gone: an unanswered `resume` will be sent again on the next one. */
  connectionLost(): void {
    this.pendingResume = false;
  }

  /**
   * Adopts the positions of a `positions` frame, and the renewed token it may carry, unless a
   * resume is unanswered (both are then the new connection's own session's).
   */
  replacePositions(positions: unknown, sessionToken?: unknown): void {
    if (this.pendingResume) return;
    if (Array.isArray(positions)) this.positions.replaceAll(positions);
    if (typeof sessionToken === 'string') this.token = sessionToken;
  }

  /** Records a delivery's offset; false for a duplicate (see `ShardPositions.accept`). */
  accept(offset: unknown): boolean {
    return this.positions.accept(offset);
  }
}
