import { describe, expect, it } from '@jest/globals';
import { formatConnectionsResult, runConnections } from '../load/connections.js';

/**
 * The short version of `npm run bench:connections` (10,000 connections, docs/reliability.md):
 * 2,000 subscribed connections on one instance, then every one gets all 20 messages.
 */
describe('many concurrent connections on one instance', () => {
  it('2000 connections subscribe, and each receives all 20 messages once, in order', async () => {
    const result = await runConnections({
      connections: 2000,
      clientProcesses: 2,
      batch: 100,
      messages: 20,
      broker: 'memory',
    });
    process.stdout.write(`${formatConnectionsResult(result)}\n`);

    expect(result.problems).toEqual([]);
    expect(result.deliveries).toBe(2000 * 20);
    // Generous: 5–7 KiB measured; a per-connection leak of buffers would blow far past it.
    expect(result.bytesPerConnection).toBeLessThan(64 * 1024);
  }, 60_000);
});
