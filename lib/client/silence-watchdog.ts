/**
 * A dead peer (half-open TCP) never closes: silence past a limit means dead. The socket reports
 * every frame it hears; once watching starts, `onSilent` runs when nothing was heard for the
 * limit.
 */
export class SilenceWatchdog {
  private lastFrameAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly onSilent: (silentMs: number) => void) {}

  /** A frame arrived. */
  heard(): void {
    this.lastFrameAt = Date.now();
  }

  /** Starts checking that a frame arrives at least every `limitMs`. */
  watch(limitMs: number): void {
    const check = () => {
      const silent = Date.now() - this.lastFrameAt;
      if (silent >= limitMs) return this.onSilent(silent);
      this.timer = setTimeout(check, limitMs - silent);
    };
    this.timer = setTimeout(check, limitMs);
  }

  /** Stops checking (the socket is gone). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
