import { describe, expect, it } from '@jest/globals';
import { SHORT_SOAK } from '../soak/soak-config.js';
import { formatSoakResult } from '../soak/soak-report.js';
import { runSoak } from '../soak/soak.js';

const MiB = 1024 * 1024;

/**
 * The short soak (the long one is `npm run soak`, docs/reliability.md): 3 instances on Redis,
 * 200 SDK clients on exact and wildcard topics, a publisher through every instance, 2 instance
 * SIGKILLs with restarts and 4 rounds of Redis connection kills in 20 s.
 */
describe('soak: instances and Redis connections killed under load (Redis)', () => {
  it('every client gets every message of its subscriptions exactly once, in order, and none is told notRecovered', async () => {
    const result = await runSoak(SHORT_SOAK);
    process.stdout.write(`${formatSoakResult(result)}\n`);

    expect(result.verdict.problems).toEqual([]);
    expect(result.verdict.notRecovered).toBe(0);
    expect(result.chaos.instanceKills).toBe(2);
    expect(result.chaos.redisKillRounds).toBe(4);
    // The clients of the killed instances did reconnect and resume (not a quiet run).
    expect(result.verdict.resumes).toBeGreaterThan(0);
    // Enough traffic to mean something: publishers are paced, and on 2 loaded cores (the whole
    // suite running beside it) they reach about half the nominal rate; a quarter is the floor.
    expect(result.published.acked).toBeGreaterThan(SHORT_SOAK.rate * SHORT_SOAK.seconds * 0.25);
    expect(result.verdict.deliveriesChecked).toBeGreaterThan(result.published.acked);
    // Generous bounds: the long run checks flatness; this catches a runaway only.
    for (const { rss } of result.end.instances) expect(rss).toBeLessThan(400 * MiB);
    expect(result.end.redisUsedMemory).toBeLessThan(result.start.redisUsedMemory + 64 * MiB);
  }, 150_000);
});
