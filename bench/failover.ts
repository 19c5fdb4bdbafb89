// `npm run bench:failover` (issue 18): FO_CLIENTS SDK clients (FO_PROCS client processes) on one
// of three instances (separate processes, one redis-server), FO_RATE msg/s to FO_TOPICS topics they
// hold. SIGKILL their instance: time until each is back and recovered on the two survivors, lost
// and duplicated messages, p99 live latency of clients that did not move. Then a rolling restart
// (SIGTERM one, start it again on its port, wait until every client is back, next).
// Env: FO_CLIENTS (3000), FO_PROCS (3), FO_RATE (100), FO_TOPICS (100), FO_BACKLOG (listen
// backlog of the instances, 4096), FO_ROLLING (1; 0 skips the rolling restart), FO_OBSERVERS
// (clients on the survivors that never move: their latency is the live latency during the
// SIGKILL wave; 300), BENCH_CPU_PROF (a directory: instances write .cpuprofile files there),
// FO_WARM (0: resumes each survivor serves before the SIGKILL, as one that has been up a while has:
// until V8 has compiled the resume path, a third of a survivor's CPU is compiling),
// FO_METRICS=1 (the instances serve /metrics; each wave prints what the survivors counted:
// frames in and out by event, replays by result, connections opened),
// BENCH_PERF (a file prefix: `perf record` of the whole machine during each wave, into
// <prefix>.<wave>, with the JavaScript frames of instances and clients named; `perf report -i <file>`).
import { type ChildProcess, spawn } from 'node:child_process';
import { cpuMicros, profileEnv, recordProfile, serveResumes } from './common.js';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { type InstanceProcess, startInstance } from '../test/support/app-process.js';
import { freePort } from '../test/support/free-port.js';
import { cpuTimesOf } from '../test/support/proc-stats.js';
import { startRedisServer } from '../test/support/redis-server.js';

const CLIENTS = Number(process.env.FO_CLIENTS ?? 3000);
const PROCS = Number(process.env.FO_PROCS ?? 3);
const RATE = Number(process.env.FO_RATE ?? 100);
const TOPICS = Number(process.env.FO_TOPICS ?? 100);
const BACKLOG = process.env.FO_BACKLOG ?? '4096';
const ROLLING = process.env.FO_ROLLING !== '0';
const OBSERVERS = Number(process.env.FO_OBSERVERS ?? 300);
const SECRET = 'bench-failover-session-secret-0123';

interface ClientProc {
  child: ChildProcess;
  ask(command: object): Promise<any>;
}

async function startClients(urls: string[], count: number, first: number): Promise<ClientProc> {
  const child = spawn(
    process.execPath,
    ['--import', './scripts/register-swc.js', 'bench/failover-client.ts'],
    {
      env: {
        ...process.env,
        NODE_OPTIONS: process.env.BENCH_PERF ? '--perf-basic-prof' : '',
        FO_URLS: urls.join(','),
        FO_COUNT: String(count),
        FO_FIRST: String(first),
        FO_TOPICS: String(TOPICS),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ready = await lines.next();
  if (ready.value !== 'FO_READY') throw new Error(`client process: ${String(ready.value)}`);
  let queue = Promise.resolve<any>(undefined);
  return {
    child,
    ask(command) {
      queue = queue.then(async () => {
        child.stdin!.write(`${JSON.stringify(command)}\n`);
        return JSON.parse((await lines.next()).value as string);
      });
      return queue;
    },
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

function histogramPercentile(histogram: number[], p: number): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms];
    if (seen >= p * total) return ms;
  }
  return NaN;
}

const redis = await startRedisServer();
const ports = await Promise.all([0, 1, 2].map(() => freePort()));
let waves = 0;
const METRICS = process.env.FO_METRICS === '1';
const WARM = Number(process.env.FO_WARM ?? 0);
const env = (i: number) => ({
  ...(METRICS ? { DWS_OPTIONS: JSON.stringify({ metrics: { serve: { path: '/metrics' } } }) } : {}),
  BROKER: redis.url,
  DWS_SESSION_SECRET: SECRET,
  PORT: String(ports[i]),
  LISTEN_BACKLOG: BACKLOG,
  ...profileEnv(),
});
const instances: (InstanceProcess | null)[] = await Promise.all(
  [0, 1, 2].map((i) => startInstance(env(i))),
);
const url = (i: number) => `ws://127.0.0.1:${ports[i]}/ws`;
const procs: ClientProc[] = [];
const lastSeq: Record<string, number> = {};
let publishTo = 1;
let publishing: NodeJS.Timeout | null = null;
let publishErrors = 0;
/** How long each publish's HTTP request took (answered once Redis appended it), this wave. */
let publishMs = new Uint32Array(10_001);
const inFlight = new Set<Promise<unknown>>();

/**
 * Keep-alive sockets, used in turn (FIFO: none idles into the server's 5 s keep-alive timeout), as
 * a backend publisher holds them: a new TCP connection to a survivor during a wave waits in its
 * accept queue behind the wave's (Node accepts one connection per event-loop turn), which `fetch`
 * did whenever its requests overlapped (p99 of the publish request 2–5 s, docs/reliability.md).
 */
const agent = new Agent({ keepAlive: true, maxSockets: 16, scheduling: 'fifo' });

/** POSTs `body` to /publish on `port`; resolves with the response's status. */
function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', path: '/publish', method: 'POST', agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens the agent's 16 sockets to `port` now (16 requests at once; any answer will do). */
async function warm(port: number): Promise<void> {
  const get = () =>
    new Promise<void>((resolve) =>
      request({ port, host: '127.0.0.1', path: '/warm', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', () => resolve())
        .end(),
    );
  await Promise.all(Array.from({ length: 16 }, get));
}

function startPublishing(): void {
  let n = 0;
  publishing = setInterval(() => {
    const topic = `orders/${n++ % TOPICS}/status`;
    const seq = (lastSeq[topic] ?? -1) + 1;
    lastSeq[topic] = seq;
    const started = Date.now();
    const sent = post(ports[publishTo], JSON.stringify({ topic, payload: { seq, at: Date.now() } }))
      .then((status) => {
        if (status !== 200) publishErrors++;
        publishMs[Math.min(10_000, Date.now() - started)]++;
      })
      .catch(() => publishErrors++);
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }, 1000 / RATE);
}

const all = async (command: object) => Promise.all(procs.map((p) => p.ask(command)));

/** The counters of `dws_*_total` series summed over `of`'s scrapes, by series (FO_METRICS). */
async function countersOf(of: InstanceProcess[]): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  for (const instance of of) {
    const text = await (await fetch(`http://127.0.0.1:${instance.port}/metrics`)).text();
    for (const line of text.split('\n')) {
      const match = /^dws_(\w+_total(?:\{[^}]*\})?) (\d+)/.exec(line);
      if (match) sums.set(match[1], (sums.get(match[1]) ?? 0) + Number(match[2]));
    }
  }
  return sums;
}

/** What grew between two `countersOf`, as `series +n`, the largest first. */
function countersDelta(before: Map<string, number>, after: Map<string, number>): string {
  return [...after]
    .map(([series, n]) => [series, n - (before.get(series) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([series, n]) => `${series} +${n}`)
    .join(', ');
}

/** Starts a wave now; resolves when every client that moved is back and recovered. */
async function wave(name: string, action: () => Promise<void>, timeoutMs = 120_000) {
  const at = Date.now();
  const fromUs = process.hrtime.bigint() / 1000n;
  // CPU of the instances that live through the wave (the survivors), from /proc.
  const survivors = instances.filter((i): i is InstanceProcess => i !== null);
  const cpuBefore = survivors.map((i) => cpuMicros(i.pid));
  // Of it, the kernel's and the main thread's (the rest: V8's compiler and GC threads).
  const sysBefore = survivors.map((i) => cpuTimesOf(i.pid).sysMs);
  const mainBefore = survivors.map((i) => cpuMicros(i.pid, i.pid));
  // And of everything else on the machine's cores: the client processes, Redis, this process.
  const others = () =>
    procs.reduce((sum, p) => sum + cpuMicros(p.child.pid!), 0) +
    cpuMicros(redis.pid) +
    cpuMicros(process.pid);
  const othersBefore = others();
  const countersBefore = METRICS ? await countersOf(survivors) : null;
  publishMs = new Uint32Array(10_001);
  await warm(ports[publishTo]);
  await all({ cmd: 'phase', at });
  const perf = process.env.BENCH_PERF
    ? recordProfile(null, `${process.env.BENCH_PERF}.${waves++}`)
    : null;
  await action();
  let answers: any[] = [];
  for (;;) {
    answers = await all({ cmd: 'back' });
    const moved = answers.reduce((s, a) => s + a.moved, 0);
    const back = answers.reduce((s, a) => s + a.back, 0);
    if ((moved > 0 && back === moved) || Date.now() - at > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const toUs = process.hrtime.bigint() / 1000n;
  await perf?.stop();
  const counted = countersBefore
    ? countersDelta(
        countersBefore,
        await countersOf(survivors.filter((i) => instances.includes(i))),
      )
    : null;
  const othersMs = Math.round((others() - othersBefore) / 1000);
  const availableMs = (Date.now() - at) * cpus().length;
  const cpu = survivors
    .map((i, k) =>
      instances.includes(i)
        ? `${i.pid} ${Math.round((cpuMicros(i.pid) - cpuBefore[k]) / 1000)} ms ` +
          `(kernel ${Math.round(cpuTimesOf(i.pid).sysMs - sysBefore[k])}, ` +
          `main thread ${Math.round((cpuMicros(i.pid, i.pid) - mainBefore[k]) / 1000)})`
        : '',
    )
    .filter(Boolean);
  await new Promise((r) => setTimeout(r, 1000));
  answers = await all({ cmd: 'back' });
  const backMs = answers.flatMap((a) => a.backMs).sort((a: number, b: number) => a - b);
  const sumOf = (key: 'latency' | 'fromAppend') =>
    answers[0][key].map((_: number, ms: number) => answers.reduce((s, a) => s + a[key][ms], 0));
  const histogram = sumOf('latency');
  const fromAppend = sumOf('fromAppend');
  const moved = answers.reduce((s, a) => s + a.moved, 0);
  process.stdout.write(
    `${name}: ${backMs.length}/${moved} back and recovered; time to back p50 ${percentile(backMs, 0.5)} ms, ` +
      `p99 ${percentile(backMs, 0.99)} ms, max ${backMs[backMs.length - 1]} ms; live latency of clients ` +
      `that stayed p50 ${histogramPercentile(histogram, 0.5)} ms, p99 ${histogramPercentile(histogram, 0.99)} ms\n` +
      `  of which from Redis's append to delivery: p50 ${histogramPercentile(fromAppend, 0.5)} ms, p99 ${histogramPercentile(fromAppend, 0.99)} ms; ` +
      `publish request (to instance ${publishTo}, until appended): p50 ${histogramPercentile([...publishMs], 0.5)} ms, p99 ${histogramPercentile([...publishMs], 0.99)} ms\n` +
      `  CPU of the survivors until all were back: ${cpu.join(', ')}; of the clients, Redis and ` +
      `the bench: ${othersMs} ms; the machine's ${cpus().length} cores had ${availableMs} ms; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}\n`,
  );
  if (counted) process.stdout.write(`  the survivors counted: ${counted}\n`);
  if (process.env.BENCH_CPU_PROF) {
    // CLOCK_MONOTONIC, as the profiles' timestamps: node bench/profile-summary.mjs <file> from to
    const pids = instances.map((i) => i?.pid ?? '-').join(' ');
    process.stdout.write(`  profile window ${fromUs} ${toUs} µs; instance pids ${pids}\n`);
  }
}

try {
  const perProc = Math.ceil(CLIENTS / PROCS);
  for (let p = 0; p < PROCS; p++) {
    const count = Math.min(perProc, CLIENTS - p * perProc);
    procs.push(await startClients([url(0), url(1), url(2)], count, p * perProc));
  }
  // Observers: on the survivors, never moved by the SIGKILL; their latency is the live one.
  if (OBSERVERS > 0) {
    procs.push(await startClients([url(1), url(2)], OBSERVERS / 2, 0));
    procs.push(await startClients([url(2), url(1)], OBSERVERS / 2, 1));
  }
  process.stdout.write(
    `failover bench: ${CLIENTS} clients on instance 0 (${PROCS} processes), ${OBSERVERS} observers on 1 and 2, ` +
      `${RATE} msg/s over ${TOPICS} topics, listen backlog ${BACKLOG}\n`,
  );
  if (WARM > 0) {
    await Promise.all([instances[1]!, instances[2]!].map((i) => serveResumes(i, WARM)));
    process.stdout.write(`  the survivors served ${WARM} resumes each before\n`);
  }
  startPublishing();
  await new Promise((r) => setTimeout(r, 3000));
  await wave('SIGKILL instance 0', async () => {
    await instances[0]!.kill('SIGKILL');
    instances[0] = null;
  });
  instances[0] = await startInstance(env(0));
  if (ROLLING) {
    for (const k of [1, 2, 0]) {
      publishTo = (k + 1) % 3;
      await wave(`rolling restart, SIGTERM instance ${k}`, async () => {
        await instances[k]!.kill('SIGTERM');
        instances[k] = await startInstance(env(k));
      });
    }
  }
  clearInterval(publishing!);
  await Promise.all(inFlight);
  await new Promise((r) => setTimeout(r, 2000));
  const reports = await all({ cmd: 'report', last: lastSeq });
  const sum = (key: string) => reports.reduce((s, r) => s + r[key], 0);
  const published = Object.values(lastSeq).reduce((s, v) => s + v + 1, 0);
  process.stdout.write(
    `published ${published} (${publishErrors} refused); lost ${sum('lost')}, duplicated ${sum('duplicated')}, ` +
      `notRecovered ${sum('notRecovered')}\n`,
  );
} finally {
  clearInterval(publishing ?? undefined);
  agent.destroy();
  await Promise.all(procs.map((p) => p.ask({ cmd: 'close' }).catch(() => undefined)));
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(instances.map((i) => i?.kill('SIGTERM')));
  await redis.stop();
}
