/** What presence needs of a connection: who it is, what it holds, and when it goes. */
export interface PresenceParticipant {
  /** Session id: names the member (`connectionId`). */
  readonly id: string;
  readonly userId: string | null;
  /** This socket of the session: the entry's owner, so an older socket can't remove it. */
  readonly incarnation: string;
  readonly open: boolean;
  /** The topic filters the client holds (re-entered after a resume). */
  readonly filters: ReadonlySet<string>;
  /** The connection's reserved-event queue: presence changes run in it, in order. */
  queue: Promise<unknown>;
  /** Calls `listener` once, when the socket closes. */
  onClose(listener: () => void): void;
}
