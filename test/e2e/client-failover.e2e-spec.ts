import { afterEach, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { connect, type DistributedWsClient } from '../../lib/client/index.js';
import { useFailoverFleet } from '../support/redis-instances.js';
import { waitFor } from '../support/wait-for.js';
import { recordEvents } from '../unit/client/record-events.js';

const SECRET = 'client-failover-secret-0123456789ab';
const TOTAL = 1000;
const TOPIC = 'orders/7/status';

/** `ws`'s WebSocket, noting every URL the SDK opens. */
function recordingWebSocket(opened: string[]) {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      opened.push(url);
    }
  };
}

/**
 * The SDK, given two instances, loses the first one mid-stream, fails over to the second by
 * itself and resumes there, while a third instance keeps publishing at a steady rate.
 */
describe('client SDK fails over between instances (Redis)', () => {
  const fleet = useFailoverFleet({ DWS_SESSION_SECRET: SECRET });
  const clients: DistributedWsClient[] = [];
  afterEach(() => {
    clients.splice(0).forEach((c) => c.close());
  });

  /** Runs the failover; returns the SDK's `disconnected` events. */
  async function failover(signal: NodeJS.Signals) {
    const victim = await fleet.startVictim();
    const opened: string[] = [];
    const sdk = connect({
      url: [victim.url(), fleet.spare.url()],
      WebSocket: recordingWebSocket(opened),
    });
    clients.push(sdk);
    const events = recordEvents(sdk);
    const received: unknown[] = [];
    const direct: unknown[] = [];
    sdk.onDirect((payload) => direct.push(payload));
    await sdk.subscribe(TOPIC, (payload) => received.push(payload)).ready;
    const sessionId = sdk.connectionId!;

    const publishing = fleet.publisher.control('publish-many', {
      topic: TOPIC,
      count: TOTAL,
      from: 'A',
      intervalMs: 3,
    });
    await waitFor(() => received.length >= 200, {
      timeout: 15_000,
      message: () => `200 messages before the kill (got ${received.length})`,
    });
    // Counted when the SDK loses the victim: a SIGTERM's drain may outlast the rest of the stream.
    let beforeTheKill = -1;
    sdk.on('disconnected', () => {
      if (beforeTheKill < 0) beforeTheKill = received.length;
    });
    await victim.kill(signal);
    // Addressed to the session, not to a socket: it must follow the client to the spare.
    await fleet.publisher.control('send', { ids: [sessionId], payload: { afterTheKill: true } });
    await publishing;
    await waitFor(() => received.length >= TOTAL && direct.length >= 1, {
      timeout: 15_000,
      message: () => `${TOTAL} messages and the direct one (got ${received.length})`,
    });

    // Mid-stream: the rest came through the spare.
    expect(beforeTheKill).toBeGreaterThanOrEqual(200);
    expect(beforeTheKill).toBeLessThan(TOTAL);
    expect(received).toEqual(Array.from({ length: TOTAL }, (_, seq) => ({ seq, from: 'A' })));
    expect(direct).toEqual([{ afterTheKill: true }]);
    expect(opened).toEqual([victim.url(), fleet.spare.url()]);
    expect(events.connected).toEqual([
      { connectionId: sessionId, resumed: false, recovered: false },
      { connectionId: sessionId, resumed: true, recovered: true },
    ]);
    expect(events.notRecovered).toEqual([]);
    expect(events.error).toEqual([]);
    expect(sdk.state).toBe('connected');
    return events.disconnected;
  }

  it('after SIGKILL of its instance: reconnects to the next URL and gets all 1000, once, in order', async () => {
    expect(await failover('SIGKILL')).toEqual([{ code: 1006, reason: '', willReconnect: true }]);
  }, 30_000);

  it('after SIGTERM: is told 1012, reconnects to the next URL and gets all 1000, once, in order', async () => {
    expect(await failover('SIGTERM')).toEqual([
      { code: 1012, reason: 'server restarting: reconnect and resume', willReconnect: true },
    ]);
  }, 30_000);
});
