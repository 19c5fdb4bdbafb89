import type { RedisClient } from '../broker/redis-streams/connection.js';
import { LEAVE_SCRIPT, SWEEP_SCRIPT } from './redis-presence.keys.js';

const LEAVE_COMMAND = 'dwsPresenceLeave';
const SWEEP_COMMAND = 'dwsPresenceSweep';

/**
 * Defines the presence scripts as commands of `client` (EVALSHA, falling back to EVAL after a
 * Redis restart) and returns it. A given client may have them already.
 */
export function withPresenceCommands(client: RedisClient): RedisClient {
  const commands = client as unknown as Record<string, unknown>;
  if (typeof commands[LEAVE_COMMAND] !== 'function') {
    client.defineCommand(LEAVE_COMMAND, { numberOfKeys: 1, lua: LEAVE_SCRIPT });
  }
  if (typeof commands[SWEEP_COMMAND] !== 'function') {
    client.defineCommand(SWEEP_COMMAND, { numberOfKeys: 1, lua: SWEEP_SCRIPT });
  }
  return client;
}

/** LEAVE_SCRIPT: removes a field if `socket` owns it; the removed value, or null. */
export function leaveIfOwned(
  client: RedisClient,
  topicKey: string,
  connectionId: string,
  socket: string,
): Promise<unknown> {
  const command = (client as any)[LEAVE_COMMAND] as (...args: string[]) => Promise<unknown>;
  return command.call(client, topicKey, connectionId, socket);
}

/** SWEEP_SCRIPT: removes every field `instance` owns in a topic's hash; the removed values. */
export function removeOwnedBy(
  client: RedisClient,
  topicKey: string,
  instance: string,
): Promise<string[]> {
  const command = (client as any)[SWEEP_COMMAND] as (...a: string[]) => Promise<string[]>;
  return command.call(client, topicKey, instance);
}
