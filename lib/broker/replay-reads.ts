import type { Broker, RangePage, ReplayRange, WantedTopics } from './broker.interface.js';
import type { ReplayWindow } from './replay-window.js';

const everyTopic = () => true;
/**
 * A page read from the backplane is shared with identical ranges asked for this long after it
 * came back, too: resumes are admitted a few per event-loop turn (adapter/admission-queue.ts),
 * so those of one wave no longer ask in the same turn. A range of one epoch never changes but
 * by trimming, and a page is reused only while the reader is still in that epoch.
 */
const SHARE_AFTER_MS = 250;
/** Pages kept that way at most (each up to a read's page, ~1 MiB); beyond, they go at once. */
const SHARED_PAGES_KEPT = 64;

/** How the ranges of replays were answered since boot (bench and tests read it). */
export interface ReplayReadStats {
  /** Ranges answered from the in-memory window: no backplane read. */
  fromWindow: number;
  /** Ranges read from the backplane. */
  fromLog: number;
  /** Ranges that joined an identical read in flight (or just back) instead of reading again. */
  shared: number;
}

/**
 * `readRanges` for resumes (issue 18): each range is answered from the {@link ReplayWindow} when
 * it holds all of it, else from the backplane, where identical ranges of concurrent resumes (a
 * wave after an instance died) share one read. The answers are the backplane's: the same
 * entries, epoch and trim verdicts; a range the window holds comes whole, in one page.
 */
export class ReplayReads implements Pick<Broker, 'readRanges'> {
  readonly stats: ReplayReadStats = { fromWindow: 0, fromLog: 0, shared: 0 };
  private readonly inFlight = new Map<string, Promise<RangePage>>();
  /** Pages back from the backplane kept in `inFlight` for late identical ranges. */
  private kept = 0;

  constructor(
    private readonly broker: Broker,
    private readonly window: ReplayWindow | null,
  ) {}

  /** @throws BrokerUnavailableError when a range must be read and the backplane cannot be. */
  async readRanges(
    ranges: readonly ReplayRange[],
    limit: number,
    wanted: WantedTopics,
  ): Promise<RangePage[]> {
    const pages: (RangePage | Promise<RangePage>)[] = new Array(ranges.length);
    const toRead: ReplayRange[] = [];
    const settlers: { resolve(page: RangePage): void; reject(error: unknown): void }[] = [];
    const positions = this.broker.positions();
    this.window?.follow(positions);
    ranges.forEach((range, i) => {
      // Whole: `limit` bounds what a read brings into memory, and the window's entries are in
      // memory already. One round instead of one per `limit` entries (bench:resume).
      const cached = this.window?.page(range, Number.POSITIVE_INFINITY, wanted);
      if (cached) {
        this.stats.fromWindow++;
        pages[i] = cached;
        return;
      }
      const key = `${range.shard}|${range.epoch}|${range.afterId}|${range.untilId}|${limit}`;
      let shared = this.inFlight.get(key);
      // A page read in an epoch the reader has left is not reused: the log now answers otherwise.
      if (shared && positions[range.shard]?.epoch !== range.epoch) shared = undefined;
      if (shared) this.stats.shared++;
      else {
        shared = new Promise<RangePage>((resolve, reject) => settlers.push({ resolve, reject }));
        // Every waiter handles the rejection; this keeps an unawaited copy from being reported.
        shared.catch(() => undefined);
        this.inFlight.set(key, shared);
        toRead.push(range);
        const forget = () => {
          if (this.inFlight.get(key) === mine) this.inFlight.delete(key);
        };
        const mine = shared;
        const keep = () => {
          if (this.kept >= SHARED_PAGES_KEPT) return forget();
          this.kept++;
          setTimeout(() => {
            this.kept--;
            forget();
          }, SHARE_AFTER_MS).unref();
        };
        shared.then(keep, forget);
      }
      pages[i] = shared.then((page) => onlyWanted(page, wanted));
    });
    if (toRead.length > 0) {
      this.stats.fromLog += toRead.length;
      // Read for every topic: the page may be shared by resumes holding other topics.
      (async () => this.broker.readRanges(toRead, limit, everyTopic))().then(
        (read) => read.forEach((page, i) => settlers[i].resolve(page)),
        (error: unknown) => settlers.forEach((settler) => settler.reject(error)),
      );
    }
    return Promise.all(pages);
  }
}

function onlyWanted(page: RangePage, wanted: WantedTopics): RangePage {
  if (page.status !== 'ok') return page;
  return { ...page, messages: page.messages.filter((m) => wanted(m.topic)) };
}
