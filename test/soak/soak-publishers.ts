/** What was published to one topic by one publisher: seqs 0 … sent-1, each acked or ambiguous. */
export interface PublisherTopicLog {
  sent: number;
  /**
   * Seqs whose publish failed after the request may have reached the instance (it died, or its
   * Redis connection was killed): stored or not, nobody can tell. Every client must then have
   * all of them or none, which the identical-sequence check enforces.
   */
  ambiguous: number[];
}

/** Per topic, per publisher (`p<slot>`). */
export type PublishLog = Record<string, Record<string, PublisherTopicLog>>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// A publish goes to one instance and one Redis: past this, something hangs and the run fails.
const PUBLISH_TIMEOUT_MS = 20_000;

type Outcome = 'acked' | 'refused' | 'ambiguous';

/**
 * One publisher per instance slot, publishing `{from, seq}` round-robin over the topics through
 * that slot's `/control/publish` (so messages enter the backplane through every instance), each
 * publish awaited before the next: per (publisher, topic) the seqs are stored in order.
 */
export class SoakPublishers {
  readonly log: PublishLog = {};
  /** Publishes refused because the slot's instance was down (not sent: the seq is reused). */
  refused = 0;
  /** The first failure messages, for the report. */
  readonly failures: string[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly ports: readonly number[],
    private readonly topics: readonly string[],
    private readonly ratePerSlot: number,
  ) {
    for (const topic of topics) {
      this.log[topic] = {};
      ports.forEach((_, slot) => (this.log[topic][`p${slot}`] = { sent: 0, ambiguous: [] }));
    }
  }

  /** Messages acked and ambiguous so far. */
  totals(): { acked: number; ambiguous: number } {
    let acked = 0;
    let ambiguous = 0;
    for (const byFrom of Object.values(this.log)) {
      for (const entry of Object.values(byFrom)) {
        acked += entry.sent - entry.ambiguous.length;
        ambiguous += entry.ambiguous.length;
      }
    }
    return { acked, ambiguous };
  }

  start(): void {
    this.loops = this.ports.map((_, slot) => this.run(slot));
    // A failing loop is reported by stop(); until then it must not count as unhandled.
    this.loops.forEach((loop) => loop.catch(() => undefined));
  }

  /**
   * Stops the paced loops, then publishes one last message per (publisher, topic) until it is
   * acked (call it once every instance is up and the chaos is over).
   * @returns the last seq of each publisher on each topic: a client that has it has everything.
   */
  async stop(): Promise<Record<string, Record<string, number>>> {
    this.stopping = true;
    await Promise.all(this.loops);
    const last: Record<string, Record<string, number>> = {};
    await Promise.all(
      this.ports.map(async (_, slot) => {
        for (const topic of this.topics) {
          for (let attempt = 1; ; attempt++) {
            if ((await this.publishNext(slot, topic)) === 'acked') break;
            if (attempt === 20) throw new Error(`p${slot} could not publish to ${topic}`);
            await sleep(250);
          }
          (last[topic] ??= {})[`p${slot}`] = this.log[topic][`p${slot}`].sent - 1;
        }
      }),
    );
    return last;
  }

  private async run(slot: number): Promise<void> {
    const interval = 1000 / this.ratePerSlot;
    let due = Date.now();
    for (let turn = 0; !this.stopping; turn++) {
      const outcome = await this.publishNext(slot, this.topics[turn % this.topics.length]);
      due += interval;
      // After an outage, resume the pace instead of bursting to catch up.
      if (due < Date.now() - 1000) due = Date.now();
      await sleep(Math.max(outcome === 'refused' ? 100 : 0, due - Date.now()));
    }
  }

  private async publishNext(slot: number, topic: string): Promise<Outcome> {
    const from = `p${slot}`;
    const entry = this.log[topic][from];
    const seq = entry.sent;
    let outcome: Outcome;
    try {
      const response = await fetch(`http://127.0.0.1:${this.ports[slot]}/control/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic, payload: { from, seq } }),
        signal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS),
      });
      const body = await response.text();
      outcome = response.ok ? 'acked' : 'ambiguous';
      if (!response.ok) this.fail(`${from} ${topic}#${seq}: HTTP ${response.status} ${body}`);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if ((error as Error).name === 'TimeoutError') {
        throw new Error(`${from}: a publish to ${topic} hung for ${PUBLISH_TIMEOUT_MS} ms`);
      }
      // Refused: the request never reached a server, the seq was not published.
      outcome = cause?.code === 'ECONNREFUSED' ? 'refused' : 'ambiguous';
      if (outcome === 'ambiguous') this.fail(`${from} ${topic}#${seq}: ${cause?.code ?? error}`);
    }
    if (outcome === 'refused') this.refused++;
    else {
      entry.sent++;
      if (outcome === 'ambiguous') entry.ambiguous.push(seq);
    }
    return outcome;
  }

  private fail(what: string): void {
    if (this.failures.length < 10) this.failures.push(what);
  }
}
