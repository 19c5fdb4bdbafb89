// Shared helpers of the benchmark harness (bench/run.ts and the processes it starts).
import { readFileSync } from 'node:fs';

export const TOPIC = 'orders/1/status';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux x86/arm). */
const CLK_TCK = 100;

/** user+sys CPU time of a process, in µs (10 ms resolution). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLK_TCK;
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
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
