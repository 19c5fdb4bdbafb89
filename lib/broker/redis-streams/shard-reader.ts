import type { Redis } from 'ioredis';
import type { BrokerListener, BrokerMessage, ShardReset } from '../broker.interface.js';
import type { DeliveryProgress } from '../delivery-progress.js';
import { compareIds, formatOffset } from '../../protocol/offset.js';
import { backoff } from './connection.js';
import { withDeadline } from './deadline.js';
import { toMessage, xreadStreams } from './entry-codec.js';
import type { EpochCandidates, ShardKeys } from './keys.js';
import { EPOCH_MARK, RESET_EPOCH_COMMAND, RESET_EPOCH_SCRIPT } from './lua/reset-epoch.script.js';
import { type ReadState, recheckShards, type ShardCheck } from './shard-state.js';
import type { ResolvedRedisStreamsOptions } from './redis-streams.options.js';
import type { StatusTracker } from './status-tracker.js';

/** What a reader shares with its broker. */
export interface ShardReaderContext {
  readonly keys: ShardKeys[];
  readonly state: ReadState;
  readonly listener: BrokerListener;
  /** Told after each delivered batch and each epoch check (`Broker.untilDelivered`). */
  readonly progress: DeliveryProgress;
  readonly status: StatusTracker;
  readonly candidates: EpochCandidates;
  readonly options: ResolvedRedisStreamsOptions;
  /** Opens the dedicated connection; called again after repeated failures (a failover). */
  open(key: string, name: string): Redis;
  /** Asks the cluster client for a fresh slot map; a no-op on a single node. */
  refreshTopology(): void;
  /** The newest id of a shard this instance knows of: delivered, or acked to a publisher. */
  known(shard: number): string;
  /** Told when a shard's epoch changes under this reader (`Broker.onShardReset`). */
  reset(reset: ShardReset): void;
}

type XReadReply = unknown[] | null;

/**
 * Resolves two event-loop turns later: after the I/O callbacks that were ready alongside the
 * caller's, and after those whose data arrived while they ran (the second turn polls again).
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/**
 * One blocking XREAD loop over shards that one connection can read together (all shards on
 * a single node; one shard per loop on a cluster, where XREAD refuses keys of different
 * slots even on the same node: CROSSSLOT). The loop only advances a shard's id after
 * delivering its entries, so after any failure it resumes from the last delivered ids and
 * nothing published meanwhile is lost or repeated.
 */
export class ShardReader {
  private readonly name: string;
  /** `BLOCK … COUNT … STREAMS <keys>`: all of XREAD but the ids, the same on every call. */
  private readonly xreadHead: (string | number)[];
  /** Shard of each stream key as replies name it (with the client's `keyPrefix`). */
  private readonly shardOfKey = new Map<string, number>();
  private client: Redis | null = null;
  private epochsChecked = false;
  private failures = 0;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> = Promise.resolve();
  private lastError: Error | undefined;

  constructor(
    private readonly shards: number[],
    private readonly ctx: ShardReaderContext,
  ) {
    this.name = `reader:${shards[0]}`;
    const { keys, options } = ctx;
    this.xreadHead = ['BLOCK', options.blockMs, 'COUNT', options.readCount, 'STREAMS'];
    for (const shard of shards) this.xreadHead.push(keys[shard].log);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Disconnects, which makes a blocked XREAD return at once, and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.client?.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const client = this.connection();
        if (client.status !== 'ready') await this.untilReady(client);
        if (this.stopped) break;
        if (!this.epochsChecked) {
          const { keys, state, candidates, options } = this.ctx;
          const checks = await recheckShards(
            client,
            this.shards,
            keys,
            state,
            candidates,
            options.logger,
            this.ctx.known,
          );
          for (const check of checks) await this.settleCheck(client, check);
          // A shard whose epoch changed was reported through ctx.reset, which counts it as progress.
          this.epochsChecked = true;
        }
        // Up as soon as Redis answers again, not when the next XREAD returns (up to blockMs later).
        this.ctx.status.up(this.name);
        this.lastError = undefined;
        const reply = await this.xread(client);
        this.failures = 0;
        if (reply === null) continue;
        // Replies that arrived with this one (a publish's confirmation, above all) are handled
        // before the fan-out, which can take milliseconds: see decisions.md.
        await nextTurn();
        if (!this.stopped) this.deliver(reply);
      } catch (error) {
        if (this.stopped) break;
        this.fail(error);
        // A lost connection is waited for in untilReady (ioredis reconnects with its own
        // backoff); only a command refused on a live connection needs a pause here.
        if (this.client?.status === 'ready' || !this.client) {
          await this.sleep(backoff(this.failures, this.ctx.options.maxReconnectDelayMs));
        }
      }
    }
  }

  private connection(): Redis {
    if (this.client) return this.client;
    const client = this.ctx.open(this.ctx.keys[this.shards[0]].log, 'dws-reader');
    // Any reconnect may land on a Redis that lost its data: check epochs before reading on.
    client.on('close', () => (this.epochsChecked = false));
    client.on('error', (error: Error) => (this.lastError = error));
    const prefix = client.options.keyPrefix ?? '';
    for (const shard of this.shards) this.shardOfKey.set(prefix + this.ctx.keys[shard].log, shard);
    this.client = client;
    return client;
  }

  private fail(error: unknown): void {
    this.failures++;
    this.epochsChecked = false;
    const cause = error instanceof Error ? error : new Error(String(error));
    this.ctx.status.down(this.name, this.lastError ?? cause);
    const moved = /^(MOVED|ASK|CLUSTERDOWN)/.test(cause.message);
    // A failover moves a shard to another node: after a few failures, look it up again.
    if (moved || this.failures % 3 === 0) {
      this.client?.disconnect();
      this.client = null;
      this.ctx.refreshTopology();
    }
  }

  private xread(client: Redis): Promise<XReadReply> {
    const args = this.xreadHead.slice();
    for (const shard of this.shards) args.push(this.ctx.state.ids[shard]);
    return client.call('XREAD', args) as Promise<XReadReply>;
  }

  /**
   * A shard found changed on a reconnect: a lost log is reported; a rewound one gets a new
   * epoch (lua/reset-epoch.script.ts), switched to here when this reader is already past the
   * reset mark, else when the mark is read (`deliver`).
   */
  private async settleCheck(client: Redis, { shard, previous, cause }: ShardCheck): Promise<void> {
    const { state, keys, candidates } = this.ctx;
    if (cause === 'lost' || state.epochs[shard] !== previous) {
      this.ctx.reset({ shard, previous, epoch: state.epochs[shard], cause });
      return;
    }
    if (typeof (client as any)[RESET_EPOCH_COMMAND] !== 'function') {
      client.defineCommand(RESET_EPOCH_COMMAND, { numberOfKeys: 3, lua: RESET_EPOCH_SCRIPT });
    }
    const { log, epoch, trimmed } = keys[shard];
    const [now, markId] = (await (client as any)[RESET_EPOCH_COMMAND](
      log,
      epoch,
      trimmed,
      previous,
      candidates.next(),
    )) as [string, string | null];
    if (markId && compareIds(state.ids[shard], markId) < 0) return;
    state.epochs[shard] = now;
    if (!markId) state.ids[shard] = '0-0';
    this.ctx.reset({ shard, previous, epoch: now, cause: 'rewound' });
  }

  /** One batch per reply: every shard of the reply, each in log order (DESIGN.md §3). */
  private deliver(reply: NonNullable<XReadReply>): void {
    const { state } = this.ctx;
    let batch: BrokerMessage[] = [];
    const shards: number[] = [];
    for (const [key, entries] of xreadStreams(reply)) {
      const shard = this.shardOfKey.get(key);
      if (shard === undefined || entries.length === 0) continue;
      let offsetBase = formatOffset(shard, state.epochs[shard], '');
      for (const entry of entries) {
        const message = toMessage(shard, offsetBase, entry);
        if (message.control === EPOCH_MARK) {
          // What came before the mark belongs to the old epoch: handed over before the reset.
          this.handOver(batch);
          batch = [];
          state.ids[shard] = message.id;
          if (message.payload !== state.epochs[shard]) {
            const previous = state.epochs[shard];
            state.epochs[shard] = message.payload;
            offsetBase = formatOffset(shard, message.payload, '');
            this.ctx.reset({ shard, previous, epoch: message.payload, cause: 'rewound' });
          }
          continue;
        }
        batch.push(message);
      }
      state.ids[shard] = entries[entries.length - 1][0];
      shards.push(shard);
    }
    this.handOver(batch);
    // After the listener: whoever waits for a position finds its messages already handed over.
    for (const shard of shards) this.ctx.progress.advanced(shard);
  }

  private handOver(batch: BrokerMessage[]): void {
    if (batch.length === 0) return;
    try {
      this.ctx.listener(batch);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.ctx.options.logger.error(
        `RedisStreamsBroker: the listener threw: ${err.message}`,
        err.stack,
      );
    }
  }

  /**
   * Waits for the connection to come back. Bounded, so that a reader whose node is gone for
   * good (a failover) counts failures and looks its shard up again.
   */
  private untilReady(client: Redis): Promise<void> {
    const timeoutMs = 4 * this.ctx.options.maxReconnectDelayMs;
    let ready = () => {};
    const back = new Promise<void>((resolve) => {
      ready = resolve;
      client.once('ready', ready);
      this.wake = ready;
    });
    const timeout = () => new Error(`not reconnected within ${timeoutMs} ms`);
    return withDeadline(back, timeoutMs, timeout).finally(() => {
      client.off('ready', ready);
      this.wake = null;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      this.wake = done;
    });
  }
}
