import { Injectable } from '@nestjs/common';
import type { BrokerMessage } from '../broker/broker.interface.js';

/**
 * When an entry was appended, from its id (`<ms>-<seq>`: Redis' clock for Redis Streams, this
 * process' for the in-memory broker). NaN for an id of another form (a custom broker).
 */
export function entryTimeMs(id: string): number {
  // Digit by digit, without a substring: a half to a third of the time of Number(id.slice(…)).
  let ms = 0;
  for (let i = 0; i < id.length; i++) {
    const digit = id.charCodeAt(i) - 48;
    if (digit >= 0 && digit <= 9) ms = ms * 10 + digit;
    else return i > 0 && digit === -3 ? ms : NaN;
  }
  return NaN;
}

/**
 * How far behind the backplane this instance's delivery runs: the time from the first entry of
 * the latest batch being appended to that batch being delivered here. Always on (one id parsed
 * per batch) so that the health indicator can report it without metrics.
 */
@Injectable()
export class ReaderLag {
  /** Lag of the latest batch, in ms (clamped at 0: clocks of two hosts may disagree a little). */
  lastMs: number | null = null;
  /** When the latest batch was delivered (ms since the epoch). */
  lastBatchAt: number | null = null;

  observe(batch: readonly BrokerMessage[], now: number): void {
    if (batch.length === 0) return;
    const appended = entryTimeMs(batch[0].id);
    if (Number.isNaN(appended)) return;
    this.lastMs = Math.max(0, now - appended);
    this.lastBatchAt = now;
  }
}
