/**
 * Commands instances send each other through the backplane. A command is a broker entry on the
 * topic whose connections it concerns (a session's, a user's, a presence topic), so it reaches
 * every instance in the log's order, and the instances holding matching connections apply it.
 */
export type InstanceCommand =
  | { op: 'close'; code: number; reason: string }
  /**
   * A session was resumed on socket `keep`: every other socket of it closes. `after`: how far the
   * resuming instance had read the session topic's shard (an offset), absent from older versions.
   */
  | { op: 'takeover'; code: number; keep: string; after?: string }
  /** The entry's payload is a complete `presence` frame for the topic's subscribers. */
  | { op: 'presence' };

/** The `control` field of a broker entry carrying this command. */
export function encodeCommand(command: InstanceCommand): string {
  return JSON.stringify(command);
}

/** The command of an entry's `control` field, or null for a malformed one (ignored). */
export function decodeCommand(control: string): InstanceCommand | null {
  try {
    const command = JSON.parse(control) as InstanceCommand | null;
    return command !== null && typeof command === 'object' && typeof command.op === 'string'
      ? command
      : null;
  } catch {
    return null;
  }
}
