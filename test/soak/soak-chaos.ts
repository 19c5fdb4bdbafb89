import { type InstanceProcess, startInstance } from '../support/app-process.js';
import { redisCli } from '../support/redis-cli.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The app instances of a run, each in a slot that keeps its port: a killed instance is restarted
 * on the same port, as a process manager behind a fixed address would, so that the clients'
 * URL lists stay valid.
 */
export class InstanceSlots {
  restarts = 0;
  /** Every instance started, killed ones included, for their stderr. */
  private readonly all: InstanceProcess[] = [];

  private constructor(
    private readonly env: Record<string, string>,
    readonly current: InstanceProcess[],
  ) {
    this.all.push(...current);
  }

  static async start(count: number, env: Record<string, string>): Promise<InstanceSlots> {
    const started = await Promise.all(Array.from({ length: count }, () => startInstance(env)));
    return new InstanceSlots(env, started);
  }

  get ports(): number[] {
    return this.current.map((instance) => instance.port);
  }

  urls(): string[] {
    return this.current.map((instance) => instance.url());
  }

  /** SIGKILLs the instance of `slot` and starts a new one on its port. */
  async killAndRestart(slot: number): Promise<void> {
    const { port } = this.current[slot];
    await this.current[slot].kill('SIGKILL');
    for (let attempt = 1; ; attempt++) {
      try {
        this.current[slot] = await startInstance({ ...this.env, PORT: String(port) });
        this.all.push(this.current[slot]);
        this.restarts++;
        return;
      } catch (error) {
        // The port may linger for a moment after the kill; anything else repeats and surfaces.
        if (attempt === 5) throw error;
        await sleep(500);
      }
    }
  }

  /** What the instances (killed ones too) wrote to stderr, by pid. */
  stderr(): string {
    return this.all
      .filter((instance) => instance.stderr().trim())
      .map((instance) => `--- instance pid ${instance.pid}\n${instance.stderr().trim()}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.current.map((instance) => instance.kill('SIGKILL')));
  }
}

/**
 * Kills about half of the connections Redis has (at least one), chosen at random: the instances'
 * publisher, reader and presence connections alike.
 * @returns how many were killed.
 */
export async function killRedisConnections(port: number): Promise<number> {
  const ids = (await redisCli(port, ['CLIENT', 'LIST']))
    .split('\n')
    .filter((line) => !/ cmd=client\|list/.test(line))
    .map((line) => /^id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  const chosen = ids.filter(() => Math.random() < 0.5);
  if (chosen.length === 0 && ids.length > 0) chosen.push(ids[0]);
  const killed = await Promise.all(
    chosen.map((id) => redisCli(port, ['CLIENT', 'KILL', 'ID', id]).catch(() => '0')),
  );
  return killed.filter((answer) => answer === '1').length;
}

/** What the chaos did, in order, with the time since the run started. */
export interface ChaosLog {
  instanceKills: number;
  redisKillRounds: number;
  redisConnectionsKilled: number;
  events: string[];
}

/**
 * Runs `instanceKills` kill+restart cycles (at evenly spread times with jitter, a random slot
 * each, one at a time) and `redisKills` rounds of Redis connection kills (at random times) over
 * `durationMs`. Resolves once the last one is done and every slot has a running instance.
 */
export async function runChaos(
  slots: InstanceSlots,
  redisPort: number,
  plan: { durationMs: number; instanceKills: number; redisKills: number },
): Promise<ChaosLog> {
  const log: ChaosLog = {
    instanceKills: 0,
    redisKillRounds: 0,
    redisConnectionsKilled: 0,
    events: [],
  };
  const started = Date.now();
  const at = (fraction: number) => sleep(started + fraction * plan.durationMs - Date.now());
  const stamp = (what: string) =>
    log.events.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);

  const kills = async () => {
    for (let k = 0; k < plan.instanceKills; k++) {
      // Within 10 %–85 % of the run: clients settle first, and the end is left to catch up.
      await at(0.1 + (0.75 * (k + Math.random() * 0.5)) / plan.instanceKills);
      const slot = Math.floor(Math.random() * slots.current.length);
      stamp(`SIGKILL instance ${slot} (pid ${slots.current[slot].pid})`);
      await slots.killAndRestart(slot);
      log.instanceKills++;
      stamp(`instance ${slot} restarted (pid ${slots.current[slot].pid})`);
    }
  };
  const redisKills = async () => {
    const times = Array.from({ length: plan.redisKills }, () => 0.05 + 0.85 * Math.random());
    for (const time of times.sort((a, b) => a - b)) {
      await at(time);
      const killed = await killRedisConnections(redisPort);
      log.redisKillRounds++;
      log.redisConnectionsKilled += killed;
      stamp(`killed ${killed} Redis connections`);
    }
  };
  await Promise.all([kills(), redisKills()]);
  return log;
}
