// Shared helpers of the benchmark harness (bench/run.ts and the processes it starts).
import { spawn } from 'node:child_process';
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

/**
 * Counts the system calls of process `pid` from now until `stop()` with `perf stat` (Linux, perf
 * installed, allowed to trace: root or kernel.perf_event_paranoid ≤ 1). CPU time moves with the
 * machine's load (a starved server batches more); the system calls of an operation much less.
 * @returns null where perf cannot count (stop() then resolves to null).
 */
export function countSyscalls(pid: number): { stop(): Promise<number | null> } {
  const perf = spawn(
    'perf',
    ['stat', '-x', ',', '-e', 'raw_syscalls:sys_enter', '-p', String(pid)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return stopOnSigint(perf, (output) => {
    const line = output.split('\n').find((l) => l.includes('raw_syscalls:sys_enter'));
    const count = line ? Number(line.split(',')[0]) : NaN;
    return Number.isFinite(count) ? count : null;
  });
}

/**
 * Samples every thread of `pid` (of the whole machine when null) with call graphs into `file`
 * (`perf report -i <file>`); a Node process needs `--perf-basic-prof` for JavaScript frames to
 * have names.
 */
export function recordProfile(
  pid: number | null,
  file: string,
): { stop(): Promise<number | null> } {
  const target = pid === null ? ['-a'] : ['-p', String(pid)];
  const perf = spawn('perf', ['record', '-F', '1999', '-g', '-o', file, ...target], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return stopOnSigint(perf, () => 0);
}

/** Stops `perf` with SIGINT (it then writes its results); `read` turns its stderr into one. */
function stopOnSigint(
  perf: ReturnType<typeof spawn>,
  read: (stderr: string) => number | null,
): { stop(): Promise<number | null> } {
  let output = '';
  perf.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    perf.on('error', () => resolve(null));
    perf.on('close', () => resolve(read(output)));
  });
  return {
    stop() {
      perf.kill('SIGINT');
      return exited;
    },
  };
}
