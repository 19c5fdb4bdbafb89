// `npm run bench:resume`: server CPU of one `resume` on the Redis Streams broker (the soak test
// found resumes ~8x dearer than new connections, which slows the return of a killed instance's
// clients). One instance runs as its own process; its CPU is read from /proc, so the clients'
// work in this process is not charged to it.
// Env: RESUMES (500, measured after WARMUP (500) resumes that are not: until V8 has compiled the
// resume path, its compiler threads cost a third of the server's CPU; 3,000 are needed before the
// numbers settle), BLOCKS (5: the measured resumes run in blocks; the median block is printed
// beside the mean, since one burst of the machine's other work moves a block), TOPICS (100), MISSED (20 messages per topic), IN_FLIGHT (25 resumes at once),
// WILDCARD=1 (each client subscribes to `chat/+/<n>` instead of `chat/rooms/<n>`: a resume then
// reads every shard, where an exact subscription reads only its topics' shards),
// BENCH_CPU_PROF (a directory: the instance writes a V8 .cpuprofile there),
// BENCH_SYSCALLS=1 (system calls of the instance per resume, counted with `perf stat`),
// BENCH_PERF (a file: `perf record` of the instance's threads during the measured resumes, with
// JavaScript frames named; read it with `perf report -i <file>`).
// Exits 1 if a resume did not recover exactly its MISSED messages, in order.
import { countSyscalls, cpuMicros, inBatches, profileEnv, recordProfile } from './common.js';
import { cpuTimesOf } from '../test/support/proc-stats.js';
import { startInstance } from '../test/support/app-process.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { WsTestClient } from '../test/support/ws-test-client.js';

const RESUMES = Number(process.env.RESUMES ?? 500);
const TOPICS = Number(process.env.TOPICS ?? 100);
const MISSED = Number(process.env.MISSED ?? 20);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 25);
const WILDCARD = process.env.WILDCARD === '1';
const WARMUP = Number(process.env.WARMUP ?? 500);
const BLOCKS = Number(process.env.BLOCKS ?? 5);
const SYSCALLS = process.env.BENCH_SYSCALLS === '1';

interface Session {
  topic: string;
  /** What the client subscribes to: the topic itself, or a wildcard filter matching only it. */
  filter: string;
  token: string;
  positions: string[];
}

const redis = await startRedisServer();
const instance = await startInstance({
  BROKER: redis.url,
  DWS_SESSION_SECRET: 'bench-resume-session-secret',
  ...profileEnv(),
});
const problems: string[] = [];
try {
  const url = instance.url();
  // Sessions that subscribe, note their position, and leave.
  const sessions: Session[] = [];
  await inBatches([...Array(WARMUP + RESUMES).keys()], IN_FLIGHT, async (i) => {
    const client = await WsTestClient.connect(url);
    const topic = `chat/rooms/${i % TOPICS}`;
    const filter = WILDCARD ? `chat/+/${i % TOPICS}` : topic;
    await client.request('subscribe', { topic: filter });
    sessions.push({
      topic,
      filter,
      token: client.welcome.data.sessionToken,
      positions: client.positions(),
    });
    client.close();
    await client.waitClosed();
  });
  // While they are away: MISSED messages on every topic, interleaved, over all 16 shards.
  const published = TOPICS * MISSED;
  await inBatches([...Array(published).keys()], 20, async (n) => {
    const response = await fetch(`http://127.0.0.1:${instance.port}/publish`, {
      method: 'POST',
      body: JSON.stringify({ topic: `chat/rooms/${n % TOPICS}`, payload: { text: `m${n}` } }),
    });
    if (!response.ok) throw new Error(`publish failed: ${response.status}`);
  });

  // New sockets first, measured apart: the resume phase then costs the resumes alone.
  const connectSyscalls = SYSCALLS ? countSyscalls(instance.pid) : null;
  if (connectSyscalls) await new Promise((resolve) => setTimeout(resolve, 300));
  const connectStart = cpuMicros(instance.pid);
  const connectStartUs = process.hrtime.bigint() / 1000n;
  const clients: WsTestClient[] = [];
  await inBatches(sessions, IN_FLIGHT, async () => {
    clients.push(await WsTestClient.connect(url));
  });
  const connectCpu = cpuMicros(instance.pid) - connectStart;
  const connectSyscallCount = connectSyscalls ? await connectSyscalls.stop() : null;
  const connectWindow = `${connectStartUs} ${process.hrtime.bigint() / 1000n}`;

  /** Resumes sessions[from, to) on their clients, checking each replay; returns CPU and time. */
  async function resumeAll(from: number, to: number) {
    const cpuStart = cpuMicros(instance.pid);
    const sysStart = cpuTimesOf(instance.pid).sysMs;
    const mainStart = cpuMicros(instance.pid, instance.pid);
    const started = process.hrtime.bigint();
    await inBatches([...sessions.keys()].slice(from, to), IN_FLIGHT, async (i) => {
      const { topic, filter, token, positions } = sessions[i];
      const client = clients[i];
      const ack = await client.request('resume', { token, topics: [filter], positions }, 30_000);
      await client.next((f) => f.event === 'positions', 30_000);
      const texts = client.messages(topic).map((m) => Number(m.payload.text.slice(1)));
      const room = Number(topic.slice('chat/rooms/'.length));
      const expected = Array.from({ length: MISSED }, (_, k) => k * TOPICS + room);
      if (!ack.data?.recovered || ack.data.replayed !== MISSED) {
        problems.push(`resume ${i}: ${JSON.stringify(ack.data)}`);
      } else if (JSON.stringify(texts) !== JSON.stringify(expected)) {
        problems.push(`resume ${i}: replayed ${JSON.stringify(texts)}`);
      }
    });
    return {
      cpu: cpuMicros(instance.pid) - cpuStart,
      sys: (cpuTimesOf(instance.pid).sysMs - sysStart) * 1000,
      main: cpuMicros(instance.pid, instance.pid) - mainStart,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      started,
      count: to - from,
    };
  }
  const warm = await resumeAll(0, WARMUP);
  const syscalls = SYSCALLS ? countSyscalls(instance.pid) : null;
  const perf = process.env.BENCH_PERF ? recordProfile(instance.pid, process.env.BENCH_PERF) : null;
  // perf needs a moment to attach.
  if (syscalls || perf) await new Promise((resolve) => setTimeout(resolve, 300));
  // The measured resumes in BLOCKS blocks: the median block says what a resume costs, a burst of
  // the machine's other work moves one block, not the result.
  const blocks: Awaited<ReturnType<typeof resumeAll>>[] = [];
  const size = Math.ceil(RESUMES / BLOCKS);
  for (let from = WARMUP; from < WARMUP + RESUMES; from += size) {
    blocks.push(await resumeAll(from, Math.min(from + size, WARMUP + RESUMES)));
  }
  const started = blocks[0].started;
  const sum = (key: 'cpu' | 'sys' | 'main' | 'seconds') =>
    blocks.reduce((total, block) => total + block[key], 0);
  const [resumeCpu, resumeSys, resumeMain, seconds] = [
    sum('cpu'),
    sum('sys'),
    sum('main'),
    sum('seconds'),
  ];
  const perBlock = blocks.map((block) => Math.round(block.cpu / block.count)).sort((a, b) => a - b);
  const syscallCount = syscalls ? await syscalls.stop() : null;
  await perf?.stop();
  for (const client of clients) client.close();

  const perResume = Math.round(resumeCpu / RESUMES);
  process.stdout.write(
    `resume bench: ${RESUMES} resumes, ${published} messages on ${TOPICS} topics, ` +
      `${MISSED} missed per client${WILDCARD ? ' (wildcard subscriptions)' : ''}\n` +
      `  server CPU per resume:     ${perResume} µs (${Math.round(resumeSys / RESUMES)} µs in the kernel)\n` +
      `    median of ${blocks.length} blocks:    ${perBlock[Math.floor(perBlock.length / 2)]} µs ` +
      `(${perBlock[0]}–${perBlock[perBlock.length - 1]})\n` +
      `    of it on the main thread:  ${Math.round(resumeMain / RESUMES)} µs (the rest: V8's compiler and GC threads)\n` +
      (syscallCount === null
        ? ''
        : `  system calls per resume:   ${(syscallCount / RESUMES).toFixed(1)}\n`) +
      `  server CPU per connection: ${Math.round(connectCpu / (WARMUP + RESUMES))} µs\n` +
      (connectSyscallCount === null
        ? ''
        : `  system calls per connection: ${(connectSyscallCount / (WARMUP + RESUMES)).toFixed(1)}\n`) +
      `  resumes/s (${IN_FLIGHT} in flight): ${Math.round(RESUMES / seconds)}\n` +
      (WARMUP > 0
        ? `  the ${WARMUP} resumes before (V8 still compiling): ${Math.round(warm.cpu / WARMUP)} µs each, ` +
          `${Math.round(warm.main / WARMUP)} µs on the main thread\n`
        : ''),
  );
  if (process.env.BENCH_CPU_PROF) {
    // CLOCK_MONOTONIC µs, as the profile's: node bench/profile-summary.mjs <file> <from> <to>
    const resumeWindow = `${started / 1000n} ${process.hrtime.bigint() / 1000n}`;
    process.stdout.write(
      `  profile windows: connections ${connectWindow}, resumes ${resumeWindow}\n`,
    );
  }
  for (const problem of problems.slice(0, 5)) process.stdout.write(`PROBLEM ${problem}\n`);
} finally {
  await instance.kill();
  await redis.stop();
}
process.exit(problems.length === 0 ? 0 : 1);
