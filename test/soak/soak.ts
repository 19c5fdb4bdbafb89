import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { type ChaosLog, InstanceSlots, runChaos } from './soak-chaos.js';
import type { SoakConfig } from './soak-config.js';
import { CommandProcess } from '../support/command-process.js';
import { ConnectivityWatch, type Outage } from './soak-monitor.js';
import { SoakPublishers } from './soak-publishers.js';
import { listenOverflows, rssOf } from '../support/proc-stats.js';
import {
  closestTo,
  flatnessProblems,
  type ResourceSample,
  redisStreams,
  redisUsedMemory,
} from './soak-samples.js';
import { publishedTopics } from './soak-topics.js';
import { type ClientProcessReport, type Verdict, verifySoak } from './soak-verify.js';

const SECRET = 'soak-session-secret-0123456789abcdef';

/** Everything a run measured; `verdict.problems` empty means it passed. */
export interface SoakResult {
  config: SoakConfig;
  verdict: Verdict;
  published: { acked: number; ambiguous: number; refused: number; failures: string[] };
  chaos: ChaosLog;
  /** Stretches during which some clients were not connected (polled every 500 ms). */
  outages: Outage[];
  /** Connections the host dropped on a full accept queue during the run (see listenOverflows). */
  listenOverflows: number;
  /** start (clients subscribed, nothing published), during the run, middle, end (all caught up). */
  samples: ResourceSample[];
  start: ResourceSample;
  middle: ResourceSample;
  end: ResourceSample;
  /** Seconds: connecting the clients, publishing+chaos, catching up after the last publish. */
  timings: { connect: number; run: number; catchUp: number };
  /** What the instances wrote to stderr (warnings, logged errors). */
  instanceStderr: string;
}

interface ClientStats {
  connected: number;
  perUrl: Record<string, number>;
}

/**
 * One soak run: `config.instances` instances on one Redis, `config.clients` SDK clients in child
 * processes, a publisher per instance, instance SIGKILLs and Redis connection kills throughout,
 * then a check that every client got every message of its subscriptions exactly once in order.
 */
export async function runSoak(config: SoakConfig): Promise<SoakResult> {
  const say = (line: string) => config.verbose && process.stdout.write(`[soak] ${line}\n`);
  let redis: RedisServer | undefined;
  let slots: InstanceSlots | undefined;
  const fleet: CommandProcess[] = [];
  try {
    redis = await startRedisServer();
    const options = { retentionMs: config.retentionMs, maxConnections: config.clients + 1000 };
    slots = await InstanceSlots.start(config.instances, {
      BROKER: redis.url,
      DWS_SESSION_SECRET: SECRET,
      DWS_OPTIONS: JSON.stringify(options),
    });
    const urls = slots.urls();
    say(`redis :${redis.port}, instances ${slots.ports.join(', ')}`);

    const connectStarted = Date.now();
    const share = Math.ceil(config.clients / config.clientProcesses);
    for (let first = 0; first < config.clients; first += share) {
      const env = {
        SOAK_URLS: urls.join(','),
        SOAK_FIRST: String(first),
        SOAK_COUNT: String(Math.min(share, config.clients - first)),
        SOAK_EXACT_TOPICS: String(config.exactTopics),
        SOAK_WILDCARD_TOPICS: String(config.wildcardTopics),
      };
      fleet.push(
        await CommandProcess.start('test/soak/soak-client.ts', env, 'SOAK_CLIENTS_READY', 60_000),
      );
    }
    const connect = (Date.now() - connectStarted) / 1000;
    say(`${config.clients} clients subscribed in ${connect.toFixed(1)} s`);

    const all = <T>(command: Record<string, unknown>) =>
      Promise.all(fleet.map((p) => p.command<T>(command)));
    const stats = async () => {
      const parts = await all<ClientStats>({ cmd: 'stats' });
      const perSlot = urls.map((url) => parts.reduce((n, p) => n + (p.perUrl[url] ?? 0), 0));
      return { connected: parts.reduce((n, p) => n + p.connected, 0), perSlot };
    };
    let runStarted = Date.now();
    const sample = async (label: string): Promise<ResourceSample> => ({
      at: (Date.now() - runStarted) / 1000,
      label,
      instances: slots!.current.map(({ pid }) => ({ pid, rss: rssOf(pid) })),
      redisUsedMemory: await redisUsedMemory(redis!.port),
      ...(await redisStreams(redis!.port)),
      ...(await stats()),
    });
    const samples = [await sample('start')];

    const topics = publishedTopics(config);
    const publishers = new SoakPublishers(slots.ports, topics, config.rate / config.instances);
    runStarted = Date.now();
    const overflowsBefore = listenOverflows();
    publishers.start();
    const durationMs = config.seconds * 1000;
    const watch = new ConnectivityWatch(
      async () => (await stats()).connected,
      config.clients,
      runStarted,
    );
    watch.start();
    const chaos = runChaos(slots, redis.port, { durationMs, ...plan(config) });
    // Awaited after the run; a failed restart must not surface as an unhandled rejection first.
    chaos.catch(() => undefined);
    const sampler = setInterval(() => {
      sample('run')
        .then((s) => {
          samples.push(s);
          say(`${s.at.toFixed(0)} s: ${s.connected} connected ${s.perSlot.join('/')}`);
        })
        .catch(() => undefined);
    }, config.sampleEveryMs);
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const chaosLog = await chaos;
    clearInterval(sampler);
    const run = (Date.now() - runStarted) / 1000;
    chaosLog.events.forEach((event) => say(event));

    const catchUpStarted = Date.now();
    await waitFor(async () => (await stats()).connected === config.clients, {
      timeout: 30_000,
      interval: 200,
      message: 'every client connected again after the chaos',
    });
    const outages = watch.stop();
    const last = await publishers.stop();
    let behind: { pending: number; sample: string[] }[] = [];
    await waitFor(
      async () => {
        behind = await all({ cmd: 'pending', last });
        return behind.every((b) => b.pending === 0);
      },
      {
        timeout: 60_000,
        interval: 200,
        message: () => `every client to have the last messages: ${JSON.stringify(behind)}`,
      },
    );
    const catchUp = (Date.now() - catchUpStarted) / 1000;
    const end = await sample('end');
    samples.push(end);

    const reports = await all<ClientProcessReport>({ cmd: 'report' });
    const verdict = verifySoak(config, config.clients, publishers.log, reports);
    const start = samples[0];
    // A sample taken while an instance was down says nothing about that slot's memory.
    const during = samples.filter((s) => s.label === 'run');
    const complete = during.filter((s) => s.instances.every((i) => i.rss > 0));
    // Once the streams are trimmed to their steady length.
    const steady = Math.max(config.seconds / 2, config.retentionMs / 1000 + 30);
    const middle = {
      ...closestTo(complete.length ? complete : during.length ? during : samples, steady),
      label: 'middle',
    };
    if (config.flatness) verdict.problems.push(...flatnessProblems(config.flatness, middle, end));
    return {
      config,
      verdict,
      published: {
        ...publishers.totals(),
        refused: publishers.refused,
        failures: publishers.failures,
      },
      chaos: chaosLog,
      outages,
      listenOverflows: listenOverflows() - overflowsBefore,
      samples,
      start,
      middle,
      end,
      timings: { connect, run, catchUp },
      instanceStderr: slots.stderr(),
    };
  } finally {
    await Promise.all(fleet.map((p) => p.stop()));
    await slots?.stop();
    await redis?.stop();
  }
}

function plan(config: SoakConfig) {
  return { instanceKills: config.instanceKills, redisKills: config.redisKills };
}
