/** A stretch of the run during which some clients were not connected. */
export interface Outage {
  /** Seconds since the run started, at the first poll that saw a client missing. */
  from: number;
  /** Seconds until every client was connected again (as seen by the polls). */
  seconds: number;
  /** The fewest clients connected during it. */
  fewest: number;
}

/**
 * Polls how many clients are connected and records the outages: how long the clients of a
 * killed instance take to be connected (and resumed) somewhere else.
 */
export class ConnectivityWatch {
  readonly outages: Outage[] = [];
  private open: Outage | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly connected: () => Promise<number>,
    private readonly total: number,
    private readonly startedAt: number,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    const poll = async () => {
      const count = await this.connected().catch(() => null);
      if (this.stopped) return;
      if (count !== null) this.note(count, (Date.now() - this.startedAt) / 1000);
      this.timer = setTimeout(poll, this.intervalMs);
    };
    this.timer = setTimeout(poll, this.intervalMs);
  }

  /** Stops polling; an outage still open is recorded up to now. */
  stop(): Outage[] {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.open) this.note(this.total, (Date.now() - this.startedAt) / 1000);
    return this.outages;
  }

  private note(count: number, at: number): void {
    if (count < this.total) {
      this.open ??= { from: at, seconds: 0, fewest: count };
      this.open.fewest = Math.min(this.open.fewest, count);
    } else if (this.open) {
      this.open.seconds = at - this.open.from;
      this.outages.push(this.open);
      this.open = null;
    }
  }
}
