import type { AdmissionStage, AdmissionStats } from '../metrics/metrics.interface.js';

/**
 * The stages of a returning client, in the order the queue serves them when several wait: work
 * already begun first, so that a wave finishes clients instead of starting ever more of them.
 */
export const Stage = {
  /** A claimed resume's take-over, replay and answer. */
  Answer: 0,
  /** A resume's token check and claim. */
  Claim: 1,
  /** An upgrade's `101` and `welcome`. */
  Upgrade: 2,
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

class Waiting {
  readonly tasks: (() => void)[] = [];
  head = 0;

  get length(): number {
    return this.tasks.length - this.head;
  }

  shift(): () => void {
    const task = this.tasks[this.head];
    this.tasks[this.head++] = undefined as unknown as () => void;
    if (this.head === this.tasks.length) {
      this.tasks.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tasks.length) {
      this.tasks.splice(0, this.head);
      this.head = 0;
    }
    return task;
  }
}

/**
 * Admission of the work a wave of returning clients brings (issue 18): completing upgrades (the
 * `101` and the `welcome`) and the two CPU-heavy steps of each resume run at most `perTurn` per
 * turn of the event loop; the others wait for a later turn (`setImmediate`), each stage in
 * arrival order, the later stages of clients already begun first ({@link Stage}). Between two
 * turns the event loop polls its sockets, so the readers' batches, publishes and live deliveries
 * go on while a wave is served, instead of waiting behind hundreds of handshakes and resumes
 * that arrived at once. Nothing is refused or dropped: every task runs.
 *
 * A task admitted while the turn has room and nothing of its stage or an earlier one waits runs
 * at once, in the caller's turn: outside a wave this adds nothing but a counter.
 */
export class AdmissionQueue implements AdmissionStats {
  private readonly stages = [new Waiting(), new Waiting(), new Waiting()];
  /** Tasks admitted since the last tick. */
  private admitted = 0;
  /** Tasks admitted since the queue began, by stage (read by the metrics when scraped). */
  private readonly ran = [0, 0, 0];
  private scheduled = false;

  constructor(private readonly perTurn: number) {}

  /** Tasks waiting for a later turn. */
  get queued(): number {
    return this.stages[0].length + this.stages[1].length + this.stages[2].length;
  }

  /** By stage: tasks waiting for a later turn now, and tasks admitted since the queue began. */
  get stats(): Record<AdmissionStage, { waiting: number; admitted: number }> {
    const of = (s: Stage) => ({ waiting: this.stages[s].length, admitted: this.ran[s] });
    return { upgrade: of(Stage.Upgrade), claim: of(Stage.Claim), answer: of(Stage.Answer) };
  }

  /** Runs `task` now when this turn has room, else in a later turn. */
  run(stage: Stage, task: () => void): void {
    if (this.hasRoom(stage)) {
      this.admit(stage);
      task();
      return;
    }
    this.stages[stage].tasks.push(task);
    this.schedule();
  }

  /** Resolves in the caller's turn: at once (a microtask) when there is room, else later. */
  turn(stage: Stage): Promise<void> {
    if (this.hasRoom(stage)) {
      this.admit(stage);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.stages[stage].tasks.push(resolve);
      this.schedule();
    });
  }

  private admit(stage: Stage): void {
    this.admitted++;
    this.ran[stage]++;
    this.schedule();
  }

  private hasRoom(stage: Stage): boolean {
    if (this.admitted >= this.perTurn) return false;
    for (let s = 0; s <= stage; s++) if (this.stages[s].length > 0) return false;
    return true;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.tick);
  }

  /** A new turn: the counter starts again, and up to `perTurn` waiting tasks run. */
  private readonly tick = (): void => {
    this.scheduled = false;
    this.admitted = 0;
    for (let s = 0; s < this.stages.length && this.admitted < this.perTurn; s++) {
      const waiting = this.stages[s];
      while (this.admitted < this.perTurn && waiting.length > 0) {
        const task = waiting.shift();
        this.admitted++;
        this.ran[s]++;
        try {
          task();
        } catch (error) {
          // As it would have thrown had it run at once, without stopping the others' turns.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
    // The next tick resets the counter of what this one admitted (and runs what still waits).
    if (this.admitted > 0) this.schedule();
  };
}
