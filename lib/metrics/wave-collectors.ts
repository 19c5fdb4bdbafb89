import type { ReplayReadStats } from '../broker/replay-reads.js';
import type { AdmissionStage, AdmissionStats } from './metrics.interface.js';
import type { PromInstruments } from './prom-instruments.js';
import { Tally } from './tally.js';

/** What the metrics of a failover wave read when scraped: totals the parts keep anyway. */
export interface WaveSources {
  /** The in-memory replay window: its size follows every record and eviction. */
  readonly replayWindow: { readonly size: { readonly bytes: number; readonly entries: number } };
  /** The replays' range reads: running totals by where each range was answered. */
  readonly replayReads: { readonly stats: Readonly<ReplayReadStats> };
  /**
   * Bytes the resumes' cache of replayed frames holds, looked up when scraped (its owner, the
   * resume handler, is created after the metrics).
   */
  replayFrameBytes(): number;
  /**
   * The admission queue, looked up when scraped: the resume handler that owns it reports to the
   * metrics, so it is created after them.
   */
  admission(): AdmissionStats;
}

const STAGES: readonly AdmissionStage[] = ['upgrade', 'claim', 'answer'];
const RANGE_SOURCES = ['window', 'log', 'shared'] as const;

/**
 * The admission queue and the replay window of issue 18, read at scrape time: neither the
 * delivery path nor a resume pays anything for them.
 */
export function registerWaveCollectors(
  instruments: PromInstruments,
  { replayWindow, replayReads, replayFrameBytes, admission }: WaveSources,
): void {
  instruments.gauge(
    'admission_waiting',
    'Work of returning clients waiting for a later event-loop turn in the admission queue, by stage.',
    ['stage'],
    function () {
      const { stats } = admission();
      for (const stage of STAGES) this.set({ stage }, stats[stage].waiting);
    },
  );
  const admitted = new Tally(STAGES);
  instruments.counter(
    'admission_admitted_total',
    'Work of returning clients admitted by the admission queue (at once or after waiting), by stage.',
    ['stage'],
    function () {
      const { stats } = admission();
      for (const stage of STAGES) admitted.counts[stage] = stats[stage].admitted;
      admitted.flushInto(this, 'stage');
    },
  );
  instruments.gauge(
    'replay_window_bytes',
    'Approximate heap bytes of the messages kept in the in-memory replay window.',
    [],
    function () {
      this.set(replayWindow.size.bytes);
    },
  );
  instruments.gauge(
    'replay_window_entries',
    'Messages kept in the in-memory replay window.',
    [],
    function () {
      this.set(replayWindow.size.entries);
    },
  );
  instruments.gauge(
    'replay_frames_bytes',
    'Bytes held by the cache of replayed frames: each built once per wave, at most a quarter of replayCacheBytes, empty between waves.',
    [],
    function () {
      this.set(replayFrameBytes());
    },
  );
  const ranges = new Tally(RANGE_SOURCES);
  instruments.counter(
    'replay_ranges_total',
    'Shard ranges read by resume replays, by source: the in-memory window, a backplane read, or a backplane read shared with identical ranges.',
    ['source'],
    function () {
      const { fromWindow, fromLog, shared } = replayReads.stats;
      ranges.counts.window = fromWindow;
      ranges.counts.log = fromLog;
      ranges.counts.shared = shared;
      ranges.flushInto(this, 'source');
    },
  );
}
