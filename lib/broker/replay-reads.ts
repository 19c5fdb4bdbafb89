import type { Broker, RangePage, ReplayRange } from './broker.interface.js';
import type { ReplayWindow } from './replay-window.js';

const everyTopic = () => true;

/** How the ranges of replays were answered since boot (bench and tests read it). */
export interface ReplayReadStats {
  /** Ranges answered from the in-memory window: no backplane read. */
  fromWindow: number;
  /** Ranges read from the backplane. */
  fromLog: number;
  /** Ranges that joined an identical read already in flight instead of reading again. */
  shared: number;
}

/**
 * `readRanges` for resumes (issue 18): each range is answered from the {@link ReplayWindow} when
 * it holds all of it, else from the backplane, where identical ranges of concurrent resumes (a
 * wave after an instance died) share one read. The answers are the backplane's, exactly: same
 * pages, same epoch and trim verdicts.
 */
export class ReplayReads implements Pick<Broker, 'readRanges'> {
  readonly stats: ReplayReadStats = { fromWindow: 0, fromLog: 0, shared: 0 };
  private readonly inFlight = new Map<string, Promise<RangePage>>();

  constructor(
    private readonly broker: Broker,
    private readonly window: ReplayWindow | null,
  ) {}

  /** @throws BrokerUnavailableError when a range must be read and the backplane cannot be. */
  async readRanges(
    ranges: readonly ReplayRange[],
    limit: number,
    wanted: (topic: string) => boolean,
  ): Promise<RangePage[]> {
    const pages: (RangePage | Promise<RangePage>)[] = new Array(ranges.length);
    const toRead: ReplayRange[] = [];
    const settlers: { resolve(page: RangePage): void; reject(error: unknown): void }[] = [];
    this.window?.follow(this.broker.positions());
    ranges.forEach((range, i) => {
      const cached = this.window?.page(range, limit, wanted);
      if (cached) {
        this.stats.fromWindow++;
        pages[i] = cached;
        return;
      }
      const key = `${range.shard}|${range.epoch}|${range.afterId}|${range.untilId}|${limit}`;
      let shared = this.inFlight.get(key);
      if (shared) this.stats.shared++;
      else {
        shared = new Promise<RangePage>((resolve, reject) => settlers.push({ resolve, reject }));
        // Every waiter handles the rejection; this keeps an unawaited copy from being reported.
        shared.catch(() => undefined);
        this.inFlight.set(key, shared);
        toRead.push(range);
        const forget = () => this.inFlight.delete(key);
        shared.then(forget, forget);
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

function onlyWanted(page: RangePage, wanted: (topic: string) => boolean): RangePage {
  if (page.status !== 'ok') return page;
  return { ...page, messages: page.messages.filter((m) => wanted(m.topic)) };
}
