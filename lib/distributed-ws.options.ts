import type { Broker } from './broker/broker.interface.js';
import type { RedisConnectionInput } from './broker/broker.factory.js';
import type { AsyncApiOptions } from './asyncapi.options.js';
import type { MetricsOptions } from './metrics.options.js';
import { DEFAULT_MAX_DEPTH } from './protocol/codec.js';
import type {
  Authenticate,
  AuthFailureMode,
  OriginAllowList,
  PublishRateOptions,
  RateLimitInput,
  RateLimitOptions,
  TokenSource,
} from './auth.options.js';
import { DEFAULT_MAX_TOPIC_LENGTH } from './topics/topic-validation.js';

/**
 * Options of `DistributedWsModule.forRoot()` / `forRootAsync()`.
 * Every field is optional; the defaults run a single instance on the embedded broker.
 */
export interface DistributedWsOptions {
  /**
   * The backplane. `'memory://'` is the embedded broker (one process, for development and
   * tests); `'redis://host:port/db'` or `'rediss://…'` a Redis server; `{ cluster: [{ host, port }] }`
   * a Redis Cluster by its seed nodes; `{ sentinels: [{ host, port }], name: 'mymaster' }` a
   * primary watched by Redis Sentinel (plus `password`, `sentinelPassword`, `tls`, `options`),
   * followed through failovers; an ioredis `Redis`/`Cluster` instance; or any `Broker`.
   * @default 'memory://'
   */
  broker?: string | RedisConnectionInput | Broker;
  /**
   * Redis replicas that must hold a publish before it is acked (Redis `WAIT` after each batch,
   * per shard's master). With it, an acked publish survives a failover unless every replica
   * that acknowledged it is lost too. A publish that fewer replicas acknowledged within
   * `publishReplicasTimeoutMs` fails with `DWS_ERR_BROKER_UNAVAILABLE` ("not replicated in
   * time"): it is in the primary's log and may still be delivered. `0`: acked once the primary
   * has it. Ignored by the embedded broker.
   * @default 0
   */
  publishReplicas?: number;
  /**
   * How long a publish waits for `publishReplicas` replicas, in ms (below the broker's 2 s publish
   * bound).
   * @default 500
   */
  publishReplicasTimeoutMs?: number;
  /**
   * Number of shard streams topics are hashed onto. Fixed for a deployment: every instance must
   * use the same value.
   * @default 16
   */
  shards?: number;
  /**
   * How long messages stay in the backplane for resume, in ms. A client away longer than this
   * resumes with `recovered: false`.
   * @default 300000 (5 minutes)
   */
  retentionMs?: number;
  /**
   * Prefix of every Redis key the library writes.
   * @default 'dws'
   */
  keyPrefix?: string;
  /**
   * Interval of server pings, in ms. A peer that has not answered the previous ping when the next
   * one is due is terminated (so a dead peer is dropped after at most two intervals).
   * @default 25000
   */
  heartbeatIntervalMs?: number;
  /**
   * Largest frame accepted, in bytes. A bigger frame closes the connection with 1009.
   * @default 65536
   */
  maxPayload?: number;
  /**
   * Deepest nesting of objects/arrays accepted in a client frame.
   * @default 32
   */
  maxDepth?: number;
  /**
   * Longest topic or pattern, in characters.
   * @default 256
   */
  maxTopicLength?: number;
  /**
   * Subscriptions one connection may hold (implicit personal topics not counted).
   * @default 1000
   */
  maxSubscriptions?: number;
  /**
   * A connection whose unsent data passes this many bytes is closed with 4001 (slow consumer);
   * it can resume and catch up. Bounds memory per connection.
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Secret that signs session tokens (HMAC-SHA256). Required with a Redis broker: every instance
   * must share it so that any of them can resume any session. With `memory://` a random one is
   * generated at boot when absent.
   */
  sessionSecret?: string;
  /**
   * Lifetime of a session token, in ms. A `resume` presenting an older token is refused with
   * `DWS_ERR_INVALID_SESSION`. Connected clients receive a renewed token with the heartbeat's
   * `positions` frames, so a client that loses its connection can resume for at least
   * `min(retentionMs, sessionTtlMs - 2 × heartbeatIntervalMs)` afterwards. At least
   * 3 × `heartbeatIntervalMs`. Each resume also supersedes every earlier token of the session
   * (docs/security.md, "Session tokens").
   * @default retentionMs + 60000 (6 minutes with the default retention)
   */
  sessionTtlMs?: number;
  /**
   * Most messages replayed on one resume; beyond, the resume answers `recovered: false`.
   * @default 10000
   */
  maxReplay?: number;
  /**
   * Most bytes (payloads and topics) replayed on one resume; beyond, the resume answers
   * `recovered: false` (reason `limit`), like past `maxReplay`. A replay is held in memory only up
   * to 1 MiB; a bigger one is read again page by page as the socket takes it.
   * @default 16777216 (16 MiB)
   */
  maxReplayBytes?: number;
  /**
   * Resumes of this instance reading the backplane at once; more wait their turn. Bounds the
   * memory and Redis reads of a reconnect wave; sending a replay does not hold a slot.
   * @default 16
   */
  maxConcurrentReplays?: number;
  /**
   * Bytes of recent messages each instance keeps in memory, per shard as its reader delivered
   * them, so that a resume inside that window is answered without reading the backplane (a wave
   * of reconnects after an instance died or restarted). Entries leave it when it is full (oldest
   * first) and once older than `retentionMs`. Each entry costs its payload, topic and offset plus
   * about 180 bytes. `0` turns it off. Not used with the embedded broker, which is memory already.
   * @default 67108864 (64 MiB)
   */
  replayCacheBytes?: number;
  /**
   * How long a replay waits for a client that stopped reading (its send buffer past half of
   * `maxBufferedBytes`) before closing it with 4001. What the replay held is then freed.
   * @default 10000
   */
  replayDrainTimeoutMs?: number;
  /**
   * Enables permessage-deflate. Off by default: compression costs CPU per connection and
   * prevents sending one serialized frame to many sockets.
   * @default false
   */
  perMessageDeflate?: boolean;
  /**
   * Writes a delivery's frame to a socket with one `write(2)` on its file descriptor when Node's
   * stream holds nothing for it, skipping the stream's per-write work (about a tenth of the
   * CPU per delivery, docs/decisions.md). Never under TLS, and only on Node itself; what the
   * kernel does not take goes through the stream as usual. `false` sends every frame through
   * `socket.write` (and `socket.bytesWritten` then counts deliveries too). A self-test at start-up
   * turns it off, with one warning, when Node's socket internals are not what it relies on.
   * @default true
   */
  directWrites?: boolean;
  /**
   * Close connections with 1012 on shutdown (instead of a hard terminate) so clients resume
   * elsewhere.
   * @default true
   */
  closeOnShutdown?: boolean;
  /**
   * Decides who connects, at the upgrade: gets the request and the bearer token found in
   * `tokenSources`, returns `{ userId, ...anything }` or null. The result is the connection's
   * principal (hooks' `context.principal`, `@Principal()`), and `userId` its personal topic.
   * Without it every client is anonymous (principal null).
   * @default undefined (anonymous)
   * @example
   * ```ts
   * authenticate: async (_request, token) => (token ? verifyJwt(token) : null),
   * ```
   */
  authenticate?: Authenticate;
  /**
   * What a refused handshake gets: `'reject'` answers HTTP 401 at the upgrade; `'close'` opens
   * the WebSocket and closes it with 1008 at once (browsers can read a close code, not a status).
   * @default 'reject'
   */
  authFailure?: AuthFailureMode;
  /**
   * How long `authenticate` may take, in ms. Past it the handshake is refused as a server fault
   * (`'reject'`: HTTP 503; `'close'`: close 1013), its connection slot is given back, and the
   * result `authenticate` gives later is ignored: a slow identity provider can't hold slots.
   * @default 10000
   */
  authTimeoutMs?: number;
  /**
   * Where the token handed to `authenticate` is looked for, first match wins.
   * @default ['header', 'protocol', 'query']
   */
  tokenSources?: readonly TokenSource[];
  /**
   * Browser origins allowed to connect (`Origin` header); others get HTTP 403. Requests without
   * `Origin` (non-browser clients) pass. Set it whenever authentication relies on cookies.
   * @default undefined (any origin)
   */
  allowedOrigins?: OriginAllowList;
  /**
   * WebSockets this instance holds at most (handshakes in progress included); past it, upgrades
   * get HTTP 503 so that a load balancer or the client tries elsewhere.
   * @default 10000
   */
  maxConnections?: number;
  /**
   * One token bucket per connection over every client frame, each kind with its cost (a
   * `presence` request or a `resume` costs more than a `publish`). Over budget a frame is answered
   * `DWS_ERR_RATE_LIMITED` (with `retryAfterMs`) and not run; after `closeAfter` refusals in a row
   * the connection is closed with 4002. The defaults are far above what a chat client sends.
   * Fields left out keep their default; `false` disables it.
   * @default { perSecond: 100, burst: 200, closeAfter: 50, cost: { publish: 1, subscribe: 1, unsubscribe: 1, event: 1, invalid: 1, presence: 5, refresh: 5, resume: 20 } }
   */
  rateLimit?: RateLimitInput | false;
  /**
   * @deprecated use `rateLimit`, which covers every client frame. Set alone, `publishRate` keeps
   * its old meaning: a budget for `publish` frames only (every other frame costs nothing).
   */
  publishRate?: Partial<PublishRateOptions> | false;
  /**
   * Client frames of one connection received but not yet answered (`subscribe`, `publish`,
   * `resume`, `presence` run one after the other; gateway events until their handler answers).
   * One more closes the connection with 4005: a client waits for answers, it does not pile up
   * work the server has to hold. (The SDK keeps at most 32 requests in flight.)
   * @default 64
   */
  maxPendingFrames?: number;
  /**
   * Memory those frames may hold, as the server estimates it: their bytes as received, 64 bytes
   * per object or array in them once parsed, and 9 KiB per gateway event (Nest's handler pipeline
   * while it runs). A frame that would pass it closes the connection with 4005.
   * @default 1048576 (1 MiB)
   */
  maxPendingBytes?: number;
  /**
   * How long, in ms, a dead instance's connections stay in presence answers (topics declared
   * with `@Topic({ presence })`). Each instance renews a Redis key with this TTL every third of
   * it; once it lapses, the instance's entries are left out of answers, and removed (with
   * `leave` frames) at the next sweep, at most a third of it later. Shorter reacts sooner but
   * declares an instance dead after a shorter event-loop stall. Every instance must use the same value.
   * @default 15000
   */
  presenceTtlMs?: number;
  /**
   * Largest presence `info` a client may attach to a subscription, in bytes of JSON; larger is
   * refused with `DWS_ERR_BAD_REQUEST`. Bounds what presence keeps per connection and topic.
   * @default 1024
   */
  maxPresenceInfoBytes?: number;
  /**
   * Bytes of presence `info` one connection may hold in all, over its subscriptions (JSON, as
   * `maxPresenceInfoBytes` counts them). A subscription whose info would pass it is refused
   * with `DWS_ERR_BAD_REQUEST` and nothing is stored; the total goes down as subscriptions
   * leave. At least `maxPresenceInfoBytes`. Without it, 1,000 subscriptions × 1 KiB each would
   * be held in memory and in Redis for one connection.
   * @default 16384 (16 KiB)
   */
  maxPresenceInfoBytesPerConnection?: number;
  /**
   * Most members a client's `presence` answer lists; a topic with more is answered with that many
   * (read without reading the rest), `truncated: true` and `total`. `Broadcaster.presence` on the
   * server is not limited.
   * @default 1000
   */
  maxPresenceAnswerMembers?: number;
  /**
   * How long, in ms, an instance gathers the joins and leaves of one topic before it announces
   * them (`presence: { joinLeave: true }`): each member's changes in a window are announced as
   * what stands, so a subscribe followed by its unsubscribe within it announces nothing, and a
   * subscribe/unsubscribe loop costs the topic's members at most one frame per window (and the
   * backplane one entry). Joins and leaves reach members up to this much later.
   * @default 200
   */
  presenceWindowMs?: number;
  /**
   * What the AsyncAPI document says about the app (`info`, `servers`, `id`) and whether the
   * running app serves it (`serve: { path: '/asyncapi' }`). The `dws-asyncapi` CLI reads it too.
   * @default {} (info from package.json, a `localhost:3000` server, not served)
   */
  asyncapi?: AsyncApiOptions;
  /**
   * Prometheus metrics (needs `prom-client`): `true` registers them in prom-client's global
   * registry; an object picks the `registry`, a name `prefix`, and whether the app serves them
   * (`serve: { path: '/metrics' }`). Every metric is described in docs/operations.md.
   * @default false
   */
  metrics?: boolean | MetricsOptions;
}

/** Options with every default applied. */
export type ResolvedDistributedWsOptions = Required<
  Omit<
    DistributedWsOptions,
    | 'broker'
    | 'sessionSecret'
    | 'authenticate'
    | 'allowedOrigins'
    | 'publishRate'
    | 'rateLimit'
    | 'asyncapi'
    | 'metrics'
  >
> &
  Pick<DistributedWsOptions, 'broker' | 'authenticate' | 'allowedOrigins'> & {
    sessionSecret: string;
    rateLimit: RateLimitOptions | false;
    metrics: MetricsOptions | false;
  };

/** How much longer than `retentionMs` a session token lives by default (`sessionTtlMs`). */
export const SESSION_TTL_MARGIN_MS = 60_000;

/**
 * The defaults of `DistributedWsOptions`, applied (and checked) once at boot by `RuntimeOptions`.
 * The frame-depth and topic-length limits are the pure codec's and validator's own defaults.
 */
export const DEFAULT_OPTIONS = {
  shards: 16,
  retentionMs: 300_000,
  // sessionTtlMs: retentionMs + SESSION_TTL_MARGIN_MS, derived at boot (distributed-ws.config.ts).
  keyPrefix: 'dws',
  publishReplicas: 0,
  publishReplicasTimeoutMs: 500,
  heartbeatIntervalMs: 25_000,
  maxPayload: 65_536,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxTopicLength: DEFAULT_MAX_TOPIC_LENGTH,
  maxSubscriptions: 1000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxReplay: 10_000,
  maxReplayBytes: 16 * 1024 * 1024,
  maxConcurrentReplays: 16,
  replayCacheBytes: 64 * 1024 * 1024,
  replayDrainTimeoutMs: 10_000,
  perMessageDeflate: false,
  directWrites: true,
  closeOnShutdown: true,
  authFailure: 'reject',
  authTimeoutMs: 10_000,
  tokenSources: ['header', 'protocol', 'query'],
  maxConnections: 10_000,
  rateLimit: {
    perSecond: 100,
    burst: 200,
    closeAfter: 50,
    cost: {
      publish: 1,
      subscribe: 1,
      unsubscribe: 1,
      event: 1,
      invalid: 1,
      presence: 5,
      refresh: 5,
      resume: 20,
    },
  },
  maxPendingFrames: 64,
  maxPendingBytes: 1_048_576,
  presenceTtlMs: 15_000,
  maxPresenceInfoBytes: 1024,
  maxPresenceInfoBytesPerConnection: 16_384,
  maxPresenceAnswerMembers: 1000,
  presenceWindowMs: 200,
} as const;
