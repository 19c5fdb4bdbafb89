import { type BrokerEntry } from '../broker.interface.js';
import { BrokerUnavailableError } from '../../errors/broker-unavailable.error.js';
import { NotReplicatedError } from '../../errors/not-replicated.error.js';
import { compareIds } from '../../protocol/offset.js';
import { corkUntilTickEnd, type RedisClient } from './connection.js';
import type { EpochCandidates, ShardKeys } from './keys.js';
import { type Batch, cutBatches, type Pending } from './publish-batch.js';
import { ShardAppender } from './shard-appender.js';
import type { StatusTracker } from './status-tracker.js';

/**
 * Appends entries through the publishing client. Publishes of one shard made in the same tick
 * go to Redis as one script call (lua/publish.script.ts), in the order they were made: one
 * command, one reply and one timer per batch instead of per message, which is what bounds
 * `Broadcaster.publish` throughput (`npm run bench:publish`). At a low rate a batch is one
 * entry and nothing waits: the batch leaves at the end of the tick that published it.
 *
 * A batch must be confirmed within `publishTimeoutMs`. While the client is not ready, a batch
 * waits here (not in ioredis' offline queue) so that one that timed out is never sent
 * afterwards: a caller told "failed" must not see its message delivered later. A batch in
 * flight when the connection drops fails as a whole; it may or may not have been stored
 * (at-most-once, DESIGN.md §3).
 *
 * With `replicas` > 0 a batch is confirmed only once Redis `WAIT` says that many replicas hold
 * it (shard-appender.ts `waitReplicas`); fewer within `replicasTimeoutMs` fail the batch with
 * `NotReplicatedError`: stored on the primary, not acked (docs/decisions.md).
 */
export class StreamPublisher {
  /** Publishes of this tick, per shard, not sent yet. */
  private readonly queued: Pending[][];
  private flushQueued = false;
  private readonly waiting = new Set<Batch>();
  private inFlight = 0;
  private drained: (() => void) | null = null;
  private lastError: Error | undefined;
  private readonly onReady = () => this.ready();
  private readonly onClose = () => {
    this.keepAckedBeforeLoss();
    this.status.down('publisher', this.lastError);
  };
  private readonly onError = (error: Error) => (this.lastError = error);
  private readonly onNodeLost = () => this.keepAckedBeforeLoss();
  private readonly appender: ShardAppender;
  private readonly flush = () => this.sendQueued();
  /**
   * The newest id acked per shard, with its epoch: after a failover, a reader checks that the
   * log still holds it (shard-state.ts `recheckShards`).
   */
  readonly acked: { epoch: string; id: string }[];
  /**
   * Per shard, `acked` as it was when the connection last broke, until the reader has read past
   * it: the witness of a failover. A publish acked by a promoted replica afterwards moves
   * `acked` to an entry the new log holds, which would hide the loss of the older ones.
   */
  readonly ackedBeforeLoss: ({ epoch: string; id: string } | null)[];

  constructor(
    private readonly client: RedisClient,
    keys: ShardKeys[],
    retentionMs: number,
    private readonly timeoutMs: number,
    candidates: EpochCandidates,
    private readonly status: StatusTracker,
    private readonly replicas = 0,
    private readonly replicasTimeoutMs = 500,
  ) {
    this.queued = keys.map(() => []);
    this.acked = keys.map(() => ({ epoch: '', id: '0-0' }));
    this.ackedBeforeLoss = keys.map(() => null);
    this.appender = new ShardAppender(client, keys, retentionMs, candidates);
  }

  /** Watches the client: 'ready' sends the batches waiting for it. */
  attach(): void {
    this.client.on('ready', this.onReady);
    this.client.on('close', this.onClose);
    this.client.on('error', this.onError);
    // A Cluster client stays up while one master dies: it only drops that node's connection.
    this.client.on('-node', this.onNodeLost);
  }

  detach(): void {
    this.client.off('ready', this.onReady);
    this.client.off('close', this.onClose);
    this.client.off('error', this.onError);
    this.client.off('-node', this.onNodeLost);
  }

  /**
   * @returns the shard's epoch and the id Redis gave the entry.
   * @throws BrokerUnavailableError when Redis did not confirm within `publishTimeoutMs`.
   */
  publish(shard: number, entry: BrokerEntry): Promise<[epoch: string, id: string]> {
    this.inFlight++;
    return new Promise((resolve, reject) => {
      this.queued[shard].push({ entry, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        process.nextTick(this.flush);
      }
    });
  }

  /** Resolves once every publish started so far has settled (each is bounded by its timeout). */
  drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = () => {
        this.drained = null;
        resolve();
      };
    });
  }

  /** Cuts each shard's queue into batches and sends them (or parks them until 'ready'). */
  private sendQueued(): void {
    this.flushQueued = false;
    corkUntilTickEnd(this.client);
    for (let shard = 0; shard < this.queued.length; shard++) {
      const queue = this.queued[shard];
      if (queue.length === 0) continue;
      this.queued[shard] = [];
      for (const batch of cutBatches(shard, queue)) this.dispatch(batch);
    }
  }

  private dispatch(batch: Batch): void {
    batch.timer = setTimeout(
      () => this.settle(batch, new Error(`no answer within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    if (this.client.status === 'ready') this.send(batch);
    else this.waiting.add(batch);
  }

  private send(batch: Batch): void {
    if (batch.settled) return;
    try {
      const appended = this.appender.append(batch.shard, batch.pending);
      (this.replicas > 0 ? appended.then((reply) => this.replicated(batch, reply)) : appended).then(
        (reply) => this.settle(batch, undefined, reply),
        (error: unknown) => this.settle(batch, error),
      );
    } catch (error) {
      this.settle(batch, error);
    }
  }

  /** The script's reply once `replicas` replicas acknowledged it. @throws NotReplicatedError */
  private async replicated(batch: Batch, reply: string[]): Promise<string[]> {
    if (batch.settled) return reply;
    const { replicas, replicasTimeoutMs } = this;
    const acknowledged = await this.appender.waitReplicas(batch.shard, replicas, replicasTimeoutMs);
    if (acknowledged >= replicas) return reply;
    throw new NotReplicatedError('not replicated in time', replicas, acknowledged);
  }

  private notReplicated(topic: string, { wanted, acknowledged }: NotReplicatedError): Error {
    return new NotReplicatedError(
      `The message for "${topic}" is stored on the Redis primary but was not replicated in time ` +
        `(${acknowledged} of ${wanted} replicas within ${this.replicasTimeoutMs} ms): it may ` +
        'still be delivered, and a failover may lose it.',
      wanted,
      acknowledged,
    );
  }

  private settle(batch: Batch, error: unknown, reply?: string[]): void {
    if (batch.settled) return;
    batch.settled = true;
    clearTimeout(batch.timer);
    this.waiting.delete(batch);
    const { pending } = batch;
    if (reply && reply.length === pending.length + 1) {
      const epoch = reply[0];
      const acked = this.acked[batch.shard];
      const last = reply[pending.length];
      if (acked.epoch !== epoch || compareIds(last, acked.id) > 0) {
        acked.epoch = epoch;
        acked.id = last;
      }
      for (let i = 0; i < pending.length; i++) pending[i].resolve([epoch, reply[i + 1]]);
    } else {
      const cause = error ?? new Error(`unexpected reply ${JSON.stringify(reply)}`);
      for (const { entry, reject } of pending) {
        const failure =
          cause instanceof NotReplicatedError
            ? this.notReplicated(entry.topic, cause)
            : this.unavailable(entry.topic, cause);
        reject(failure);
      }
    }
    this.inFlight -= pending.length;
    if (this.inFlight === 0) this.drained?.();
  }

  private keepAckedBeforeLoss(): void {
    this.acked.forEach((acked, shard) => {
      if (this.ackedBeforeLoss[shard] === null && acked.id !== '0-0') {
        this.ackedBeforeLoss[shard] = { ...acked };
      }
    });
  }

  private ready(): void {
    this.status.up('publisher');
    const batches = [...this.waiting];
    this.waiting.clear();
    for (const batch of batches) this.send(batch);
  }

  private unavailable(topic: string, error: unknown): BrokerUnavailableError {
    const reason = error instanceof Error ? error.message : String(error);
    const detail =
      this.lastError && this.client.status !== 'ready' ? ` (${this.lastError.message})` : '';
    return new BrokerUnavailableError(
      `Redis did not take the message for "${topic}": ${reason}${detail}.`,
      { cause: error },
    );
  }
}
