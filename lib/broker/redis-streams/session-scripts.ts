import { Cluster } from 'ioredis';
import { corkUntilTickEnd, type RedisClient } from './connection.js';
import { ADVANCE_SESSION_COMMAND, ADVANCE_SESSION_SCRIPT } from './lua/advance-session.script.js';

/** What a call does to its session (lua/advance-session.script.ts): claim, confirm, release. */
export type SessionMode = '' | 'confirm' | 'release';

interface SessionCall {
  readonly args: [key: string, generation: number, ttlMs: number, mode: SessionMode, claim: string];
  resolve(done: boolean): void;
  reject(error: unknown): void;
}

type SessionCommand = (keys: number, ...args: (string | number)[]) => Promise<number[]>;

/**
 * Runs the session script for the calls of one tick together (issue 18: during a wave, a claim
 * and a confirmation per resume, each its own command, were a fifth of a resume's CPU). On a
 * single node they are one script call; on a cluster one call per key, since each key names its
 * own slot. Calls keep their order: a release sent after its claim runs after it in Redis.
 */
export class SessionScripts {
  private queued: SessionCall[] = [];
  private flushQueued = false;

  /** @param client the publishing client, when the batch leaves (throws when disconnected). */
  constructor(private readonly client: () => RedisClient) {}

  /**
   * @returns whether the script changed the session (1), in Redis' answer for this call.
   * @throws the client's error when the command fails (the caller bounds the wait).
   */
  run(
    key: string,
    generation: number,
    ttlMs: number,
    mode: SessionMode,
    claim: string,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queued.push({ args: [key, generation, ttlMs, mode, claim], resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        process.nextTick(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const calls = this.queued;
    this.queued = [];
    let client: RedisClient;
    try {
      client = this.client();
    } catch (error) {
      for (const call of calls) call.reject(error);
      return;
    }
    // A given ioredis instance may have the command already (another broker on it).
    if (typeof (client as any)[ADVANCE_SESSION_COMMAND] !== 'function') {
      client.defineCommand(ADVANCE_SESSION_COMMAND, { lua: ADVANCE_SESSION_SCRIPT });
    }
    const command = ((client as any)[ADVANCE_SESSION_COMMAND] as SessionCommand).bind(client);
    if (client instanceof Cluster) {
      for (const call of calls) this.send(command, [call]);
    } else {
      corkUntilTickEnd(client);
      this.send(command, calls);
    }
  };

  private send(command: SessionCommand, calls: readonly SessionCall[]): void {
    const keys = calls.map((call) => call.args[0]);
    const argv = calls.flatMap(({ args: [, generation, ttlMs, mode, claim] }) => [
      generation,
      ttlMs,
      mode,
      claim,
    ]);
    (async () => command(keys.length, ...keys, ...argv))().then(
      (replies) => calls.forEach((call, i) => call.resolve(replies[i] === 1)),
      (error: unknown) => calls.forEach((call) => call.reject(error)),
    );
  }
}
