// Shared helpers of the benchmark harness (bench/run.ts and the processes it starts).
import { cpuMsOf } from '../test/support/proc-stats.js';

export const TOPIC = 'orders/1/status';

/** user+sys CPU time of a process, in µs (10 ms resolution; 0 once it is gone). */
export function cpuMicros(pid: number): number {
  return cpuMsOf(pid) * 1000;
}

const PAD = 'x'.repeat(88);

/** A ~170-byte JSON payload stamped with the monotonic clock (shared by processes on a host). */
export function benchPayload(seq: number): Record<string, unknown> {
  return {
    seq,
    t: process.hrtime.bigint().toString(),
    kind: 'order-status',
    status: 'shipped',
    pad: PAD,
  };
}

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}
