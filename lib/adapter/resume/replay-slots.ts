/**
 * How many resumes of this instance read the backplane at once (`maxConcurrentReplays`); the
 * others wait their turn, first come first served, holding nothing but their place. A slot is
 * held from the take-over to the end of the read, not while a replay is sent: a client that
 * reads slowly delays only itself.
 */
export class ReplaySlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Waits for a slot. @returns the function that gives it back (call it once). */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
