import { type BrokerEntry, BrokerUnavailableError } from '../broker.interface.js';
import type { RedisClient } from './connection.js';
import { entryArguments } from './entry-codec.js';
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
  ...fields: string[]
) => Promise<[epoch: string, id: string]>;

/**
 * Appends entries through the publishing client, each within `publishTimeoutMs`.
 *
 * While the client is not ready, a publish waits here (not in ioredis' offline queue) so
 * that one that timed out is never sent afterwards: a caller told "failed" must not see its
 * message delivered later. A publish in flight when the connection drops fails too; it may
 * or may not have been stored (at-most-once, DESIGN.md §3).
 */
export class StreamPublisher {
  private readonly waiting = new Set<() => void>();
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

  constructor(
    private readonly client: RedisClient,
    private readonly keys: ShardKeys[],
    private readonly retentionMs: number,
    private readonly timeoutMs: number,
    private readonly candidates: EpochCandidates,
    private readonly status: StatusTracker,
  ) {
    this.nextTrimAt = keys.map(() => 0);
    this.trimEveryMs = Math.min(1000, retentionMs);
    // EVALSHA, falling back to EVAL after a Redis restart. A given client may have it already.
    if (typeof (client as any)[PUBLISH_COMMAND] !== 'function') {
      client.defineCommand(PUBLISH_COMMAND, { numberOfKeys: 3, lua: PUBLISH_SCRIPT });
    }
    this.command = (client as any)[PUBLISH_COMMAND] as PublishCommand;
  }

  /** Watches the client: 'ready' sends the publishes waiting for it. */
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
    return new Promise<[string, string]>((resolve, reject) => {
      let settled = false;
      const settle = (error: unknown, reply?: [string, string]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.waiting.delete(send);
        if (--this.inFlight === 0) this.drained?.();
        if (reply) resolve(reply);
        else reject(this.unavailable(entry.topic, error));
      };
      const send = () => {
        if (settled) return;
        const keys = this.keys[shard];
        try {
          this.command
            .call(
              this.client,
              keys.log,
              keys.epoch,
              keys.trimmed,
              this.candidates.next(),
              this.trimDue(shard) ? this.retentionMs : '',
              ...entryArguments(entry),
            )
            .then(
              (reply) => settle(undefined, reply),
              (error: unknown) => settle(error),
            );
        } catch (error) {
          settle(error);
        }
      };
      const timer = setTimeout(
        () => settle(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      if (this.client.status === 'ready') send();
      else this.waiting.add(send);
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

  private trimDue(shard: number): boolean {
    const now = Date.now();
    if (now < this.nextTrimAt[shard]) return false;
    this.nextTrimAt[shard] = now + this.trimEveryMs;
    return true;
  }

  private ready(): void {
    this.status.up('publisher');
    const sends = [...this.waiting];
    this.waiting.clear();
    for (const send of sends) send();
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
