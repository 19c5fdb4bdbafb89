import { afterAll, afterEach, expect } from '@jest/globals';
import { type InstanceProcess, startInstance } from './app-process.js';
import {
  type SentinelGroup,
  type SentinelGroupOptions,
  startSentinelGroup,
} from './redis-sentinel.js';
import { WsTestClient } from './ws-test-client.js';

/** What {@link useSentinelApp} gives a describe block. */
export interface SentinelApp {
  /** This test's Sentinel group (once started). */
  readonly group: SentinelGroup;
  /** This test's application (once started). */
  readonly app: InstanceProcess;
  /** Starts this test's primary, replicas and Sentinels. */
  startGroup(options: SentinelGroupOptions): Promise<SentinelGroup>;
  /** Starts the application in its own process on the group's Sentinels, with `options`. */
  startApp(options: Record<string, unknown>): Promise<InstanceProcess>;
  /** A client on the application, welcomed; closed after the test. */
  open(): Promise<WsTestClient>;
  /** A client on the application, subscribed to `topic` (acked); closed after the test. */
  connect(topic: string): Promise<WsTestClient>;
}

/**
 * Jest hooks of a Sentinel failover test: a group and an application (`{ sentinels, name }`,
 * session secret `secret`) started per test; after each test its clients are closed, the
 * application SIGKILLed and the group stopped.
 */
export function useSentinelApp(secret: string): SentinelApp {
  let group: SentinelGroup | undefined;
  let app: InstanceProcess | undefined;
  const clients: WsTestClient[] = [];
  const started = <T>(what: T | undefined, name: string): T => {
    if (!what) throw new Error(`useSentinelApp: the ${name} is used before it was started`);
    return what;
  };

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await app?.kill('SIGKILL');
    await group?.stop();
    app = undefined;
    group = undefined;
  });
  afterAll(async () => {
    await app?.kill('SIGKILL');
    await group?.stop();
  });

  const open = async () => {
    const client = await WsTestClient.connect(started(app, 'application').url());
    clients.push(client);
    return client;
  };
  return {
    get group() {
      return started(group, 'Sentinel group');
    },
    get app() {
      return started(app, 'application');
    },
    async startGroup(options) {
      group = await startSentinelGroup(options);
      return group;
    },
    async startApp(options) {
      const { addresses, name } = started(group, 'Sentinel group');
      app = await startInstance({
        BROKER_SENTINELS: addresses.map((a) => `${a.host}:${a.port}`).join(','),
        BROKER_SENTINEL_NAME: name,
        DWS_SESSION_SECRET: secret,
        DWS_OPTIONS: JSON.stringify(options),
      });
      return app;
    },
    open,
    async connect(topic) {
      const client = await open();
      expect((await client.request('subscribe', { topic })).event).toBe('ack');
      return client;
    },
  };
}
