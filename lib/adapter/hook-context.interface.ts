import type { WebSocket } from 'ws';

/**
 * What an `@OnSubscribe()` hook receives. `U` types the principal: what `authenticate` returns
 * (an `AuthenticatedPrincipal`), or null for an anonymous connection.
 */
export interface SubscribeContext<
  P extends Record<string, string> = Record<string, string>,
  U = unknown,
> {
  /** The pattern the client asked for, e.g. `chat/rooms/+`. */
  readonly topic: string;
  /** The declared template being authorized, e.g. `chat/rooms/{roomId}`. */
  readonly template: string;
  /** Parameters the pattern fixes (`chat/rooms/7` → `{ roomId: '7' }`; wildcard levels are absent). */
  readonly params: Partial<P>;
  /**
   * Parameters the pattern leaves open, in template order: `[]` for a concrete topic,
   * `['roomId']` for `chat/rooms/+` or `chat/#`, and then the subscription covers every value of
   * these parameters. Non-empty only on a topic declared with `wildcards: true`: other topics
   * refuse such patterns (`DWS_ERR_WILDCARD_NOT_ALLOWED`) before any hook runs.
   */
  readonly openParams: readonly (keyof P & string)[];
  readonly connectionId: string;
  /** What `authenticate` returned for this connection, or null. */
  readonly principal: U;
  /** True when the subscription is being restored by `resume`. */
  readonly resuming: boolean;
  readonly client: WebSocket;
}

/** What an `@OnPublish()` hook receives; `U` types the principal as in `SubscribeContext`. */
export interface PublishContext<
  T = unknown,
  P extends Record<string, string> = Record<string, string>,
  U = unknown,
> {
  /** The concrete topic, e.g. `chat/rooms/7`. */
  readonly topic: string;
  readonly template: string;
  readonly params: P;
  /** The payload, already validated against the topic's schema. */
  readonly payload: T;
  readonly connectionId: string;
  /** What `authenticate` returned for this connection, or null. */
  readonly principal: U;
  readonly client: WebSocket;
}
