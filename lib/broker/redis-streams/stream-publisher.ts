import { type BrokerEntry } from '../broker.interface.js';
import { BrokerUnavailableError } from '../../errors/broker-unavailable.error.js';
import type { RedisClient } from './connection.js';
import type { EpochCandidates, ShardKeys } from './keys.js';
import { PUBLISH_COMMAND, PUBLISH_SCRIPT } from './lua/publish.script.js';
import type { StatusTracker } from './status-tracker.js';

type PublishCommand = (
  this: RedisClient,
  log: string,
  epochKey: string,
  trimmedKey: string,
  candidateEpoch: string,
  retentionMsOrNoTrim: number | '',
  ...entryTriples: string[]
) => Promise<string[]>;

/** One publish waiting for its id. */
interface Pending {
  readonly entry: BrokerEntry;
  readonly resolve: (reply: [epoch: string, id: string]) => void;
  readonly reject: (error: BrokerUnavailableError) => void;
}

/** Publishes of one shard sent as one script call, with one deadline. */
interface Batch {
  readonly shard: number;
  readonly pending: Pending[];
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * Most entries in one script call: bounds how long Redis runs it (a few µs per XADD) and the
 * size of the command, whatever the payloads.
 */
const MAX_BATCH_ENTRIES = 128;
const MAX_BATCH_BYTES = 1 << 20;

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
  private readonly onClose = () => this.status.down('publisher', this.lastError);
  private readonly onError = (error: Error) => (this.lastError = error);
  /** When each shard may be trimmed next: at most once per second (lua/publish.script.ts). */
  private readonly nextTrimAt: number[];
  private readonly trimEveryMs: number;
  /** The script's command, looked up once rather than on every publish. */
  private readonly command: PublishCommand;
  private readonly flush = () => this.sendQueued();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: ShardKeys[],
    private readonly retentionMs: number,
    private readonly timeoutMs: number,
    private readonly candidates: EpochCandidates,
    private readonly status: StatusTracker,
  ) {
    this.queued = keys.map(() => []);
    this.nextTrimAt = keys.map(() => 0);
    this.trimEveryMs = Math.min(1000, retentionMs);
    // EVALSHA, falling back to EVAL after a Redis restart. A given client may have it already.
    if (typeof (client as any)[PUBLISH_COMMAND] !== 'function') {
      client.defineCommand(PUBLISH_COMMAND, { numberOfKeys: 3, lua: PUBLISH_SCRIPT });
    }
    this.command = (client as any)[PUBLISH_COMMAND] as PublishCommand;
  }

  /** Watches the client: 'ready' sends the batches waiting for it. */
  attach(): void {
    this.client.on('ready', this.onReady);
    this.client.on('close', this.onClose);
    this.client.on('error', this.onError);
  }

  detach(): void {
    this.client.off('ready', this.onReady);
    this.client.off('close', this.onClose);
    this.client.off('error', this.onError);
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
    for (let shard = 0; shard < this.queued.length; shard++) {
      const queue = this.queued[shard];
      if (queue.length === 0) continue;
      this.queued[shard] = [];
      let start = 0;
      let bytes = 0;
      for (let i = 0; i < queue.length; i++) {
        bytes += queue[i].entry.payload.length;
        const full = i + 1 - start === MAX_BATCH_ENTRIES || bytes >= MAX_BATCH_BYTES;
        if (full || i === queue.length - 1) {
          // Usually the whole queue is one batch: it is handed over as it is, not copied.
          const pending = start === 0 && i === queue.length - 1 ? queue : queue.slice(start, i + 1);
          this.dispatch({ shard, pending, timer: undefined, settled: false });
          start = i + 1;
          bytes = 0;
        }
      }
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
    const keys = this.keys[batch.shard];
    const triples: string[] = [];
    for (const { entry } of batch.pending) {
      triples.push(entry.topic, entry.payload, entry.control ?? '');
    }
    try {
      this.command
        .call(
          this.client,
          keys.log,
          keys.epoch,
          keys.trimmed,
          this.candidates.next(),
          this.trimDue(batch.shard) ? this.retentionMs : '',
          ...triples,
        )
        .then(
          (reply) => this.settle(batch, undefined, reply),
          (error: unknown) => this.settle(batch, error),
        );
    } catch (error) {
      this.settle(batch, error);
    }
  }

  private settle(batch: Batch, error: unknown, reply?: string[]): void {
    if (batch.settled) return;
    batch.settled = true;
    clearTimeout(batch.timer);
    this.waiting.delete(batch);
    const { pending } = batch;
    if (reply && reply.length === pending.length + 1) {
      const epoch = reply[0];
      for (let i = 0; i < pending.length; i++) pending[i].resolve([epoch, reply[i + 1]]);
    } else {
      const cause = error ?? new Error(`unexpected reply ${JSON.stringify(reply)}`);
      for (const { entry, reject } of pending) reject(this.unavailable(entry.topic, cause));
    }
    this.inFlight -= pending.length;
    if (this.inFlight === 0) this.drained?.();
  }

  private trimDue(shard: number): boolean {
    const now = Date.now();
    if (now < this.nextTrimAt[shard]) return false;
    this.nextTrimAt[shard] = now + this.trimEveryMs;
    return true;
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
