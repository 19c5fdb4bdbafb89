import type { ClientEvents, DistributedWsClient } from '../../../lib/client/index.js';

/** Every event of a client, in arrival order, by event name. */
export type RecordedEvents = { [K in keyof ClientEvents]: ClientEvents[K][] };

/** Records every event `client` emits from now on (shared by the unit and e2e suites). */
export function recordEvents(client: Pick<DistributedWsClient, 'on'>): RecordedEvents {
  const events: RecordedEvents = {
    connected: [],
    disconnected: [],
    notRecovered: [],
    error: [],
    presence: [],
  };
  for (const name of Object.keys(events) as (keyof ClientEvents)[]) {
    client.on(name, (value: any) => events[name].push(value));
  }
  return events;
}
