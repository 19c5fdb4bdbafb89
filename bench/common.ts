// Shared helpers of the benchmark harness (bench/run.ts and the processes it starts).
import { spawn } from 'node:child_process';
import { cpuMsOf } from '../test/support/proc-stats.js';

export const TOPIC = 'orders/1/status';

/**
 * user+sys CPU time of a process, or of its thread `tid` (the main thread's is the process's
 * pid), in µs (10 ms resolution; 0 once it is gone).
 */
export function cpuMicros(pid: number, tid?: number): number {
  return cpuMsOf(pid, tid) * 1000;
}

/** Runs `work` over `items`, `limit` at a time, in order of start. */
export async function inBatches<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * NODE_OPTIONS for the instances a bench starts: a V8 CPU profile with BENCH_CPU_PROF (a
 * directory), JavaScript frames named for `perf` with BENCH_PERF, nothing otherwise.
 */
export function profileEnv(): Record<string, string> {
  if (process.env.BENCH_CPU_PROF) {
    return { NODE_OPTIONS: `--import ${new URL('./cpu-profile.mjs', import.meta.url).pathname}` };
  }
  return process.env.BENCH_PERF ? { NODE_OPTIONS: '--perf-basic-prof' } : {};
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

/** Messages each warm-up resume replays, over this many topics (`serveResumes`). */
const WARM_MISSED = 10;
const WARM_TOPICS = 10;

/**
 * Has `instance` serve `count` resumes, 25 at once, each replaying WARM_MISSED messages published
 * through its control endpoint: what an instance that has been up for a while has done anyway
 * (clients on flaky networks drop and resume all day), so that V8 has compiled its resume path.
 * Sessions use topics `chat/rooms/warm-<port>-<n>` of their own.
 * @throws Error when a resume did not replay exactly its WARM_MISSED messages.
 */
export async function serveResumes(
  instance: {
    port: number;
    url(): string;
    control(path: string, body: unknown): Promise<unknown>;
  },
  count: number,
): Promise<void> {
  const { WsTestClient } = await import('../test/support/ws-test-client.js');
  const topicOf = (n: number) => `chat/rooms/warm-${instance.port}-${n % WARM_TOPICS}`;
  const sessions: { topic: string; token: string; positions: string[] }[] = [];
  const all = [...Array(count).keys()];
  await inBatches(all, 25, async (i) => {
    const client = await WsTestClient.connect(instance.url());
    const topic = topicOf(i);
    await client.request('subscribe', { topic });
    sessions[i] = { topic, token: client.welcome.data.sessionToken, positions: client.positions() };
    client.close();
    await client.waitClosed();
  });
  for (let n = 0; n < WARM_TOPICS * WARM_MISSED; n++) {
    await instance.control('publish', { topic: topicOf(n), payload: { text: `m${n}` } });
  }
  // Until the instance's reader has them: they are replayed then, not held as live ones.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await inBatches(all, 25, async (i) => {
    const { topic, token, positions } = sessions[i];
    const client = await WsTestClient.connect(instance.url());
    const ack = await client.request('resume', { token, topics: [topic], positions }, 30_000);
    if (!ack.data?.recovered || ack.data.replayed !== WARM_MISSED) {
      throw new Error(`warm-up resume ${i}: ${JSON.stringify(ack.data)}`);
    }
    client.close();
    await client.waitClosed();
  });
}
