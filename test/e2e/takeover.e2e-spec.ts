import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import { connectionTopic } from '../../lib/topics/implicit-topics.js';
import { encodeCommand } from '../../lib/instance-commands/instance-command.js';
import type { Broker } from '../../lib/broker/broker.interface.js';
import { formatOffset, formatPosition } from '../../lib/protocol/offset.js';
import { Broadcaster } from '../../lib/index.js';
import { DWS_BROKER } from '../../lib/distributed-ws.constants.js';
import { CloseCode } from '../../lib/protocol/close-codes.js';
import { type TestApp, startTestApp } from '../support/test-app.js';
import type { WsTestClient } from '../support/ws-test-client.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

/**
 * Which takeover closes which socket of a session. A takeover is logged when a resume takes the
 * session; a resume that failed (1013) may have its takeover logged late, after the client's
 * next resume (test/e2e/resume-broker-unavailable.e2e-spec.ts stalls Redis for that). Here such
 * late takeovers are published by hand, as the instance that issued them would have.
 */
describe('session takeovers', () => {
  let app: TestApp;
  let broker: Broker;
  let broadcaster: Broadcaster;

  beforeAll(async () => {
    app = await startTestApp({}, { providers: [FixtureGateway] });
    broker = app.app.get(DWS_BROKER);
    broadcaster = app.app.get(Broadcaster);
  });
  afterAll(() => app?.close());

  /** A session whose first socket is closed, resumed on a second socket. */
  async function resumedSession() {
    const first = await app.connect();
    await first.request('subscribe', { topic: 'news/takeover' });
    const sessionId: string = first.welcome.data.connectionId;
    const session = { token: first.welcome.data.sessionToken, positions: first.positions() };
    first.close();
    await first.waitClosed();
    const second = await app.connect();
    const ack = await second.request('resume', { ...session, topics: ['news/takeover'] });
    expect(ack.data).toMatchObject({ recovered: true });
    await direct(second, sessionId, 1);
    return { sessionId, second };
  }

  /**
   * Sends a direct message to the session and waits for it: it comes after every takeover
   * published before it, in the same log.
   */
  async function direct(client: WsTestClient, sessionId: string, count: number) {
    await broadcaster.sendToConnection(sessionId, { direct: count });
    await client.until(() => client.messages().length === count, 5000, `direct message ${count}`);
  }

  /** Publishes a takeover as a resume on another socket would have, having read up to `after`. */
  async function takeover(sessionId: string, after: string | undefined) {
    const control = { op: 'takeover', code: CloseCode.SessionTakenOver, keep: 'elsewhere' };
    await broker.publish({
      topic: connectionTopic(sessionId),
      payload: 'null',
      control: encodeCommand({ ...control, ...(after === undefined ? {} : { after }) } as never),
    });
  }

  /** How far this instance has read the session topic's shard, as a takeover's `after`. */
  function readUpTo(sessionId: string): string {
    return formatPosition(broker.positions()[broker.shardOf(connectionTopic(sessionId))]);
  }

  it('keeps a resumed socket when a takeover issued before its own is logged after it', async () => {
    const before = await app.connect(); // reads the log position before the resume below
    const { sessionId, second } = await resumedSession();
    const shard = broker.shardOf(connectionTopic(sessionId));
    const stale = before.welcome.data.positions[shard] as string;
    await takeover(sessionId, stale);
    await direct(second, sessionId, 2);
    expect(second.closed).toBeNull();
    expect(app.app.get(ConnectionRegistry).get(sessionId)?.open).toBe(true);
  });

  it('closes it with 4003 for a resume issued after its own takeover', async () => {
    const { sessionId, second } = await resumedSession();
    await takeover(sessionId, readUpTo(sessionId));
    expect(await second.waitClosed()).toEqual({
      code: 4003,
      reason: 'session resumed on another connection',
    });
  });

  it('closes it with 4003 for a takeover without a position (an older instance)', async () => {
    const { sessionId, second } = await resumedSession();
    await takeover(sessionId, undefined);
    expect((await second.waitClosed()).code).toBe(4003);
  });

  it('closes a socket that never resumed for any takeover of its session', async () => {
    const fresh = await app.connect();
    const sessionId: string = fresh.welcome.data.connectionId;
    await takeover(sessionId, formatOffset(0, 'e', '0-0'));
    expect((await fresh.waitClosed()).code).toBe(4003);
  });
});
