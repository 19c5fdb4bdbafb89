import { afterEach } from '@jest/globals';
import type { Broker, BrokerMessage } from '../../lib/broker/broker.interface.js';

/** What a test may ask of its backplane. */
export interface BackplaneOptions {
  /** Retention window in ms (the window-exceeded case uses a tiny one). */
  retentionMs?: number;
}

/** How the suite obtains brokers of one implementation. */
export interface BrokerContractSetup {
  /**
   * A fresh backplane (nothing published on it yet); the returned function makes
   * unconnected broker instances on it. Called once per test, inside the test.
   */
  backplane(options?: BackplaneOptions): () => Broker;
  /** False for a single-process broker: the cases with two instances are then not defined. */
  multiInstance: boolean;
}

/** A connected, started broker and what its listener saw. */
export interface Started {
  broker: Broker;
  received: BrokerMessage[];
  batches: number;
}

/** The first topic `t/<i>` (i ≥ `from`) that hashes to `shard`. */
export function topicOn(broker: Broker, shard: number, from = 0): string {
  for (let i = from; ; i++) if (broker.shardOf(`t/${i}`) === shard) return `t/${i}`;
}

/** Makes a connected broker from a backplane's factory. */
export type Connect = (make: () => Broker) => Promise<Broker>;
/** Connects (unless given a connected broker) and starts it, recording what it delivers. */
export type Start = (make: () => Broker, broker?: Broker) => Promise<Started>;

/** Brokers of one test, all closed after it. Call inside a `describe`. */
export function useBrokers(): { connected: Connect; started: Start } {
  const opened: Broker[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((broker) => broker.close()));
  });
  const connected: Connect = async (make) => {
    const broker = make();
    opened.push(broker);
    await broker.connect();
    return broker;
  };
  const started: Start = async (make, broker) => {
    const result: Started = { broker: broker ?? (await connected(make)), received: [], batches: 0 };
    await result.broker.start((batch) => {
      result.batches++;
      result.received.push(...batch);
    });
    return result;
  };
  return { connected, started };
}
