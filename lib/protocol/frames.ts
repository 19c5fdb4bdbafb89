import type { WireErrorCode } from './error-codes.js';

/** Events handled by the library itself; every other event goes to gateway handlers. */
export const ReservedEvent = {
  Subscribe: 'subscribe',
  Unsubscribe: 'unsubscribe',
  Publish: 'publish',
  Resume: 'resume',
  /** Client → server: who is present on a topic. Server → client: someone joined or left. */
  Presence: 'presence',
  /** Server → client: the credentials expire soon, send a new token. Client → server: here it is. */
  Refresh: 'refresh',
  Welcome: 'welcome',
  Positions: 'positions',
  Message: 'message',
  Ack: 'ack',
  Error: 'error',
} as const;

/** The id a client puts on a frame to get an `ack` or `error` back. */
export type FrameId = string | number;

/** Any frame a client sends: Nest's `{event, data}` plus an optional correlation id. */
export interface ClientFrame {
  event: string;
  id?: FrameId;
  data?: unknown;
}

export interface SubscribeData {
  topic: string;
  /** What other members see about this connection in presence (exact presence topics only). */
  info?: unknown;
}

export interface PublishData {
  topic: string;
  payload: unknown;
}

export interface ResumeData {
  /** The `sessionToken` of the `welcome` (or of the last `resume` ack). */
  token: string;
  /** Subscription patterns to restore. */
  topics: string[];
  /** The newest offset received for each shard (or the welcome's position). */
  positions: string[];
  /** Presence info by topic, for the restored topics that track presence. */
  info?: Record<string, unknown>;
}

/** First frame of every connection. */
export interface WelcomeData {
  connectionId: string;
  sessionToken: string;
  /** One offset per shard: everything after these will be delivered. */
  positions: string[];
  /** Heartbeat interval in ms; the server pings, the browser answers by itself. */
  heartbeat: number;
  /** Number of shards (the length of `positions`). */
  shards: number;
}

export interface MessageData {
  topic: string;
  payload: unknown;
  offset: string;
}

export interface ErrorData {
  code: WireErrorCode;
  message: string;
  [extra: string]: unknown;
}

export interface ResumeAck {
  /** True: every missed message follows this ack, then live ones. False: restart from fresh state. */
  recovered: boolean;
  connectionId: string;
  sessionToken: string;
  /** Patterns now active (denied ones are listed in `rejected`). */
  topics: string[];
  rejected: { topic: string; code: WireErrorCode; message: string }[];
  /** Number of messages replayed after this ack. */
  replayed: number;
  /** When not recovered: why (`epoch`, `window`, `limit`, `positions`). */
  reason?: string;
}

/** One connection present on a topic. */
export interface PresenceMember {
  connectionId: string;
  /** The connection's authenticated user, or null when anonymous. */
  userId: string | null;
  /** What the client supplied with its `subscribe` (null when nothing). */
  info: unknown;
}

/** The `ack` of a `presence` request. */
export interface PresenceAck {
  topic: string;
  /**
   * The connections subscribed to the topic, on every instance, ordered by `connectionId`: all
   * of them, or `maxPresenceAnswerMembers` of them (which ones is unspecified) when `truncated`.
   */
  members: PresenceMember[];
  /** Present when the topic has more members than the answer lists. */
  truncated?: true;
  /** With `truncated`: how many entries the topic holds (may count, for up to `presenceTtlMs`, members of an instance that died). */
  total?: number;
}

/** `data` of a `presence` frame from the server: someone joined or left a topic. */
export interface PresenceEventData {
  topic: string;
  action: 'join' | 'leave';
  member: PresenceMember;
}

/** `data` of an `unsubscribe` frame. */
export interface UnsubscribeData {
  /** The pattern exactly as it was subscribed. */
  topic: string;
}

/** `data` of a `presence` frame from a client: who is present on `topic`. */
export interface PresenceRequestData {
  /** An exact topic whose declaration tracks presence. */
  topic: string;
}

/** `data` of the server's `refresh` frame: the connection's credentials are about to expire. */
export interface RefreshNeededData {
  /** Time left, in ms, before the connection is closed with 4004 unless it refreshes. */
  expiresInMs: number;
}

/** `data` of a client's `refresh` frame: a new bearer token for the same user. */
export interface RefreshData {
  token: string;
}

/** The `ack` of a `refresh`. */
export interface RefreshAck {
  /** Time left, in ms, before the new credentials expire; null when they do not expire. */
  expiresInMs: number | null;
}

/** `data` of a `positions` frame. */
export interface PositionsData {
  /** One offset per shard, in shard order. */
  positions: string[];
  /**
   * A renewed token of the connection's session (same session, later expiry), sent in the
   * periodic frame before the previous one could expire: keep it instead.
   */
  sessionToken?: string;
}

/** The `ack` of a `subscribe`. */
export interface SubscribeAck {
  topic: string;
  subscribed: true;
  alreadySubscribed: boolean;
  /** Present when the connection is now in the topic's presence. */
  presence?: true;
}

/** The `ack` of an `unsubscribe`. */
export interface UnsubscribeAck {
  topic: string;
  subscribed: false;
  wasSubscribed: boolean;
}

/** The `ack` data of a `publish`. */
export interface PublishAck {
  topic: string;
  /** Where the message was stored: `"<shard>:<epoch>:<id>"`. */
  offset: string;
}
